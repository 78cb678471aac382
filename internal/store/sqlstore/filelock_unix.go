//go:build unix

package sqlstore

import (
	"errors"
	"os"
	"syscall"
)

// flockFile takes a whole-file lock on f without waiting: shared for a
// process that uses the database, exclusive for a restore that replaces
// it. flock is independent of the POSIX locks SQLite takes on the same
// file, and it goes away with the process. errFileLocked says another
// process holds a conflicting lock; a file system without flock is not an
// error (nothing can be checked there).
func flockFile(f *os.File, exclusive bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		return errFileLocked
	case errors.Is(err, syscall.ENOTSUP), errors.Is(err, syscall.EOPNOTSUPP), errors.Is(err, syscall.ENOLCK):
		return nil
	}
	return err
}
