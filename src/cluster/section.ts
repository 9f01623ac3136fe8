/**
 * The name of the cluster's section, alone in its file: the schedule
 * reader (`cluster = once` needs the section) and the app's prepare step
 * (the cluster layer loads only when the section exists) ask for it
 * without loading the cluster layer.
 *
 * @module
 */

/** The section that turns the cluster layer on: `[aio/cluster]`. */
export const CLUSTER_SECTION = "aio/cluster";
