/**
 * # segment: what Segment defines
 *
 * Owns segamp's models of Segment, each checked against Segment's own code and tests: the
 * mapping language (`mapping-kit/`), FQL triggers (`fql/`), the Actions Amplitude destination's
 * fields, presets, validation and payloads (`actions-amplitude/`), the Amplitude (Classic)
 * destination as it sent (`classic/`), mapping files compiled into subscriptions
 * (`subscriptions/`), and the part of the Public API that `migrate` uses (`public-api/`).
 *
 * It must never know segamp's pipeline, services or command line, nor the Amplitude sandbox
 * (`segment-defines-alone`, `stages-not-cli` in .dependency-cruiser.cjs): services run these
 * models; a model never calls them. It may use what Amplitude defines (src/amplitude/), the
 * receiving side of the Amplitude destination. This file only opens the folder and
 * exports nothing: the code is imported from the subfolders' files.
 */
export {}
