// Names and paths inside a runner pod.

/** The shared workspace volume: checkout writes it, every step and service sees it. */
export const workspaceVolume = 'workspace';
export const workspaceMount = '/workspace';
/** Where source.git is checked out, and the steps' default working directory. */
export const sourceDir = `${workspaceMount}/source`;
/** The container Furrow adds to check out source.git (the furrow- prefix is reserved). */
export const checkoutContainer = 'furrow-checkout';
/** Grace period when Furrow deletes a runner pod to cancel or time out a run. */
export const stopGracePeriodSeconds = 5;
