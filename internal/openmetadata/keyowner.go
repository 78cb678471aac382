package openmetadata

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ImageUser is the user OpenMetadata's server image runs as: its Dockerfile
// (docker/docker-compose-quickstart/Dockerfile, docker/development/Dockerfile)
// runs `adduser -D openmetadata` on Alpine, which gives the first free uid
// and a group of the same number, 1000, and ends with USER openmetadata.
var ImageUser = Owner{UID: 1000, GID: 1000}

// Owner is a numeric user and group.
type Owner struct{ UID, GID int }

func (o Owner) String() string { return fmt.Sprintf("%d:%d", o.UID, o.GID) }

// ParseOwner reads "UID:GID".
func ParseOwner(s string) (Owner, error) {
	u, g, ok := strings.Cut(s, ":")
	uid, err1 := strconv.Atoi(u)
	gid, err2 := strconv.Atoi(g)
	if !ok || err1 != nil || err2 != nil || uid < 0 || gid < 0 {
		return Owner{}, fmt.Errorf("%q: want UID:GID, numbers, such as %s", s, ImageUser)
	}
	return Owner{uid, gid}, nil
}

// ownKeyFiles gives OpenMetadata's key pair to owner and lets owner's group
// into the directory (0710: in, no listing), so the server in a container
// can read them from a read-only bind mount while no other local user can.
// The bot's key stays the setup user's alone.
func (r *Result) ownKeyFiles(o Owner) error {
	dir := r.OutDir
	for _, f := range []string{JWTPrivateFile, JWTPublicFile} {
		if err := os.Chown(filepath.Join(dir, f), o.UID, o.GID); err != nil {
			return fmt.Errorf("--key-owner %s: %w; as root, or run: %s", o, err, r.ChownLine(o))
		}
	}
	if err := os.Chown(dir, -1, o.GID); err != nil {
		return fmt.Errorf("--key-owner %s: %w; as root, or run: %s", o, err, r.ChownLine(o))
	}
	return os.Chmod(dir, 0o710)
}

// ChownLine is the command that does what --key-owner does.
func (r *Result) ChownLine(o Owner) string {
	dir := r.absOutDir()
	return fmt.Sprintf("sudo chown %s %s %s && sudo chgrp %d %s && sudo chmod 0710 %s", o,
		filepath.Join(dir, JWTPrivateFile), filepath.Join(dir, JWTPublicFile), o.GID, dir, dir)
}

// KeyAccess says whether OpenMetadata's server, running as o, can read its
// key pair from a bind mount of the output directory: the directory must
// let it in and each file must let it read. nil when it can; on systems
// without Unix permissions, nil.
func (r *Result) KeyAccess(o Owner) error {
	return keyAccess(r.OutDir, o)
}

func keyAccess(dir string, o Owner) error {
	if err := permits(dir, o, 1); err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	for _, f := range []string{JWTPrivateFile, JWTPublicFile} {
		if err := permits(filepath.Join(dir, f), o, 4); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, f), err)
		}
	}
	return nil
}
