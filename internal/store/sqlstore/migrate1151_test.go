package sqlstore

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// checkRolesMigrated: every super administrator of an org made before
// migration 1151 holds SUPER_ADMIN after it, so that their API tokens keep
// working; nobody else gains a role.
func checkRolesMigrated(t *testing.T, db *sql.DB, open func() *Store, rebind func(string) string, yes, no any) {
	t.Helper()
	insert := rebind(`INSERT INTO users (id, status, login, login_key, profile, password_hash, super_admin,
		created, activated, status_changed, last_login, last_updated, password_changed)
		VALUES (?, 'ACTIVE', ?, ?, '{}', '', ?, 1000, 0, 0, 0, 0, 0)`)
	for _, u := range []struct {
		id    string
		admin any
	}{{"00uADMIN", yes}, {"00uPERSON", no}} {
		if _, err := db.Exec(insert, u.id, u.id, u.id, u.admin); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	st := open()
	ctx := context.Background()
	rs, err := st.AdminRoles().Of(ctx, "00uADMIN")
	if err != nil || len(rs) != 1 || rs[0].Type != "SUPER_ADMIN" || rs[0].Created.UnixMilli() != 1000 {
		t.Fatalf("admin's roles %+v %v", rs, err)
	}
	if rs, err := st.AdminRoles().Of(ctx, "00uPERSON"); err != nil || len(rs) != 0 {
		t.Fatalf("person's roles %+v %v", rs, err)
	}
}

func TestMigration1151SQLite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	applyBefore(t, db, "migrations/sqlite", 1151, func(q string) string { return q })
	checkRolesMigrated(t, db, func() *Store { return openSQLite(t, path) }, func(q string) string { return q }, 1, 0)
}

func TestMigration1151Postgres(t *testing.T) {
	t.Parallel()
	base := pgBase(t)
	url := freshSchema(t, pgAdmin(t, base), base)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	applyBefore(t, db, "migrations/postgres", 1151, rebindDollar)
	checkRolesMigrated(t, db, func() *Store { return openPostgres(t, url) }, rebindDollar, true, false)
}
