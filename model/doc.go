// Package model owns the SPIN model of the retract protocol, retract.pml
// (docs/retract.md, "The proof in a model"): the variants and properties
// it is checked for, the code that builds and runs SPIN's verifier on it
// (Checker), and the conversion of a counterexample that SPIN replays
// into a retract timeline (Timeline), so that tools/trace draws it.
//
// The host tests run every variant against every property and assert
// the outcome: the kernel's design (RCU) satisfies all of them; freeing
// at once (UNSAFE) and skipping the revalidation (NO_RECHECK) do not.
// They need spin and gcc, and run when RETRACT_MODEL=1 (`make model`).
package model

import _ "embed"

// Source is retract.pml.
//
//go:embed retract.pml
var Source string
