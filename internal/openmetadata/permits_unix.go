//go:build unix

package openmetadata

import (
	"fmt"
	"os"
	"syscall"
)

// permits says whether o may access path with want (4 read, 1 search),
// by the owner, group and other bits as the kernel checks them for a
// process whose only group is o.GID. Root may do anything.
func permits(path string, o Owner, want os.FileMode) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || o.UID == 0 {
		return nil
	}
	mode := fi.Mode().Perm()
	var bits os.FileMode
	who := "others"
	switch {
	case int(st.Uid) == o.UID:
		bits, who = mode>>6, "its owner"
	case int(st.Gid) == o.GID:
		bits, who = mode>>3, "its group"
	default:
		bits = mode
	}
	if bits&want == 0 {
		return fmt.Errorf("owned by %d:%d with mode %04o, which does not let %s (%s) %s it", st.Uid, st.Gid, mode, who, o,
			map[os.FileMode]string{4: "read", 1: "enter"}[want])
	}
	return nil
}
