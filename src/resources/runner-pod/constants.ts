// Names and paths inside a runner pod.

/** The shared workspace volume: checkout writes it, every step and service sees it. */
export const workspaceVolume = 'workspace';
export const workspaceMount = '/workspace';
/** Where source.git is checked out, and the steps' default working directory. */
export const sourceDir = `${workspaceMount}/source`;
/**
 * source.git.credentials: the Secret's volume, mounted read-only into the checkout container
 * alone (never into steps or services).
 */
export const gitCredentialsVolume = 'furrow-git-credentials';
export const gitCredentialsMount = '/var/run/secrets/furrow.dev/git-credentials';
/** Read by the owner (the checkout's user when it runs as root, as git images do) only. */
export const gitCredentialsMode = 0o400;
/** The keys read from the credentials Secret, named as kubernetes.io/ssh-auth and basic-auth name them. */
export const gitCredentialKeys = {
  sshPrivateKey: 'ssh-privatekey',
  knownHosts: 'known_hosts',
  username: 'username',
  password: 'password',
  /** Optional, for https: the CA bundle the server's certificate is checked against. */
  caCert: 'ca.crt',
} as const;
/** The container Furrow adds to check out source.git (the furrow- prefix is reserved). */
export const checkoutContainer = 'furrow-checkout';
/** Grace period when Furrow deletes a runner pod to cancel or time out a run. */
export const stopGracePeriodSeconds = 5;
