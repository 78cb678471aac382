//go:build unix

package openmetadata

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeyAccess: whether OpenMetadata's server user can read the key pair
// follows the owner, group and other bits of the directory (enter) and of
// each file (read), as the kernel applies them to a bind mount.
func TestKeyAccess(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{JWTPrivateFile, JWTPublicFile} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("key"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	me := Owner{os.Getuid(), os.Getgid()}
	// A uid and gid this process has not: "others" to every file it made.
	stranger := Owner{me.UID + 4242, me.GID + 4242}
	sameGroup := Owner{me.UID + 4242, me.GID}
	if err := keyAccess(dir, me); err != nil {
		t.Fatalf("the owner: %v", err)
	}
	for _, c := range []struct {
		dirMode, keyMode os.FileMode
		who              Owner
		want             string // "" when readable
	}{
		{0o700, 0o600, stranger, "which does not let others (" + stranger.String() + ") enter it"},
		{0o700, 0o600, sameGroup, "which does not let its group (" + sameGroup.String() + ") enter it"},
		{0o710, 0o600, sameGroup, "which does not let its group (" + sameGroup.String() + ") read it"},
		{0o710, 0o640, sameGroup, ""},
		{0o711, 0o600, stranger, "which does not let others (" + stranger.String() + ") read it"},
		{0o755, 0o644, stranger, ""},
	} {
		if err := os.Chmod(dir, c.dirMode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, JWTPrivateFile), c.keyMode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, JWTPublicFile), c.keyMode); err != nil {
			t.Fatal(err)
		}
		err := keyAccess(dir, c.who)
		if (c.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("dir %04o key %04o, %s: %v, want %q", c.dirMode, c.keyMode, c.who, err, c.want)
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
}

// TestOwnKeyFiles: --key-owner gives the key pair to the server's user and
// lets its group into the directory, and nobody else; without root it says
// what to run.
func TestOwnKeyFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{JWTPrivateFile, JWTPublicFile, BotKeyFile} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("key"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r := &Result{Options: Options{OutDir: dir}}
	err := r.ownKeyFiles(ImageUser)
	if os.Geteuid() != 0 {
		if err == nil || !strings.Contains(err.Error(), "sudo chown 1000:1000 "+filepath.Join(dir, JWTPrivateFile)) {
			t.Fatalf("without root: %v", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := r.KeyAccess(ImageUser); err != nil {
		t.Fatalf("after --key-owner: %v", err)
	}
	if err := keyAccess(dir, Owner{ImageUser.UID + 1, ImageUser.GID + 1}); err == nil {
		t.Fatal("another user reads the keys after --key-owner")
	}
	if err := permits(filepath.Join(dir, BotKeyFile), ImageUser, 4); err == nil {
		t.Fatal("the server's user reads the bot's key")
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o710 {
		t.Fatalf("directory mode %04o", st.Mode().Perm())
	}
}

// TestClassifyHost: what OpenMetadata's URL filter makes of a host.
func TestClassifyHost(t *testing.T) {
	ctx := context.Background()
	for host, want := range map[string]hostClass{
		"127.0.0.1": internalLiteral, "10.0.0.8": internalLiteral, "::1": internalLiteral, "169.254.169.254": internalLiteral,
		"localhost": resolvesInternal, "sesame.localhost": resolvesInternal, "93.184.216.34": publicHost, "sso.example.invalid": publicHost,
	} {
		if got, _ := classifyHost(ctx, host); got != want {
			t.Errorf("%s: %d, want %d", host, got, want)
		}
	}
}
