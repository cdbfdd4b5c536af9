package sim

// DirBytes lets the external tests (package sim_test) use dirBytes.
var DirBytes = dirBytes
