//go:build !unix

package sqlstore

import "os"

// flockFile does nothing where flock does not exist: a restore cannot tell
// that Sesame is running there.
func flockFile(*os.File, bool) error { return nil }
