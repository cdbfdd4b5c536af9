// Package buildinfo holds the version of this genestore binary, recorded in
// every store it creates and in the provenance of everything it trains.
package buildinfo

import "runtime/debug"

// Version is the release version. Builds from a checkout append the VCS
// revision when Go recorded one (see Full).
const Version = "0.1.0"

// Full returns Version followed by the VCS revision and a "+dirty" mark when
// the binary was built from a modified checkout and Go recorded that.
func Full() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Version
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
			if len(rev) > 12 {
				rev = rev[:12]
			}
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return Version
	}
	return Version + " (" + rev + dirty + ")"
}
