/**
 * The image test pods run. kwok ignores it; on a real cluster (test/kind, or the local real
 * node) it must exist: override with FURROW_TEST_IMAGE.
 */
export const testImage = process.env.FURROW_TEST_IMAGE ?? 'busybox:1.37';
