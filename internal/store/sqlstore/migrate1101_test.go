package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/sesame-idp/sesame/internal/secret"
)

// applyBefore brings a raw database to the schema before version stop, as an
// older Sesame left it.
func applyBefore(t *testing.T, db *sql.DB, dir string, stop int64, rebind func(string) string) {
	t.Helper()
	all, err := loadMigrations(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if m.version >= stop {
			break
		}
		if _, err := db.Exec(m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		if _, err := db.Exec(rebind(`INSERT INTO schema_migrations VALUES (?, ?, 0)`), m.version, m.name); err != nil {
			t.Fatal(err)
		}
	}
}

// checkSecretsMigrated: the single secret an app had before migration 1101
// is its one ACTIVE secret after it, hash and sealed copy intact; an app
// without a secret has none.
func checkSecretsMigrated(t *testing.T, db *sql.DB, open func() *Store, rebind func(string) string) {
	t.Helper()
	hash, sealed := secret.Hash("an-old-client-secret"), []byte{1, 2, 3, 0xff}
	insert := rebind(`INSERT INTO apps (id, name, label, status, sign_on_mode, client_id, credentials, settings, profile,
		client_secret_hash, client_secret_sealed, created_by_dcr, created, last_updated)
		VALUES (?, 'oidc_client', 'x', 'ACTIVE', 'OPENID_CONNECT', ?, '{}', '{}', 'null', ?, ?, ?, 1000, 2000)`)
	for _, row := range []struct {
		id           string
		hash, sealed []byte
	}{{"0oaWITHSECRET", hash, sealed}, {"0oaPUBLIC", nil, nil}} {
		var h, s any
		if row.hash != nil {
			h, s = row.hash, row.sealed
		}
		if _, err := db.Exec(insert, row.id, row.id, h, s, false); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	st := open()
	a, err := st.Apps().Get(context.Background(), "0oaWITHSECRET")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Secrets) != 1 {
		t.Fatalf("secrets %+v", a.Secrets)
	}
	s := a.Secrets[0]
	if s.ID != "ocsWITHSECRET" || s.Status != "ACTIVE" || !bytes.Equal(s.Hash, hash) || !bytes.Equal(s.Sealed, sealed) ||
		s.Created.UnixMilli() != 1000 || s.LastUpdated.UnixMilli() != 2000 {
		t.Fatalf("migrated secret %+v", s)
	}
	if !secret.Matches("an-old-client-secret", s.Hash) {
		t.Fatal("the old secret no longer matches")
	}
	p, err := st.Apps().Get(context.Background(), "0oaPUBLIC")
	if err != nil || len(p.Secrets) != 0 || p.GroupsClaim != nil {
		t.Fatalf("public app %+v %v", p, err)
	}
}

func TestMigration1101SQLite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	applyBefore(t, db, "migrations/sqlite", 1101, func(q string) string { return q })
	checkSecretsMigrated(t, db, func() *Store { return openSQLite(t, path) }, func(q string) string { return q })
}

func TestMigration1101Postgres(t *testing.T) {
	t.Parallel()
	base := pgBase(t)
	url := freshSchema(t, pgAdmin(t, base), base)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	applyBefore(t, db, "migrations/postgres", 1101, rebindDollar)
	checkSecretsMigrated(t, db, func() *Store { return openPostgres(t, url) }, rebindDollar)
}
