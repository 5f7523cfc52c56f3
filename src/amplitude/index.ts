/**
 * # amplitude: what Amplitude defines
 *
 * Owns Amplitude's side of segamp, as its public documentation describes it (docs/amplitude-api.md,
 * docs/amplitude-export.md): the Export API's hours and event format (`export-api/`), what a
 * `user_properties` object may hold (`user-properties.ts`), and `sandbox/`, an Amplitude
 * stand-in on loopback (ingestion with its status codes, limits and deduplication, and the
 * Export API) that the tests, `replay --sandbox` and `segamp sandbox` talk HTTP to.
 *
 * It must never know Segment or segamp's own pipeline and services (`amplitude-defines-alone` in
 * .dependency-cruiser.cjs): it is what they are checked against, so it takes nothing from them,
 * and it never sends anything to the real Amplitude. This file only opens the folder and
 * exports nothing: the code is imported from the subfolders' files.
 */
export {}
