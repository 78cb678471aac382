//go:build !unix

package openmetadata

import "os"

// permits cannot tell without Unix permissions; Docker bind mounts from such
// systems do not keep them either.
func permits(string, Owner, os.FileMode) error { return nil }
