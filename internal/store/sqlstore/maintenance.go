package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Migration is one schema migration: known to this binary, applied to the
// database, or both.
type Migration struct {
	Version   int64
	Name      string
	Known     bool // embedded in this binary
	Applied   bool
	AppliedAt time.Time
}

// SchemaStatus is what a database holds against what this binary knows.
type SchemaStatus struct {
	Migrations []Migration
}

// Pending are the known migrations the database lacks.
func (s SchemaStatus) Pending() []Migration {
	return slices.DeleteFunc(slices.Clone(s.Migrations), func(m Migration) bool { return m.Applied })
}

// Unknown are the applied migrations this binary does not know: the
// database was migrated by a newer Sesame.
func (s SchemaStatus) Unknown() []Migration {
	return slices.DeleteFunc(slices.Clone(s.Migrations), func(m Migration) bool { return m.Known })
}

// schemaStatus reads schema_migrations (absent: nothing applied) and merges
// it with the migrations of dir.
func schemaStatus(ctx context.Context, db *sql.DB, d dialect) (SchemaStatus, error) {
	known, err := loadMigrations("migrations/" + d.name())
	if err != nil {
		return SchemaStatus{}, err
	}
	byVersion := map[int64]*Migration{}
	for _, m := range known {
		byVersion[m.version] = &Migration{Version: m.version, Name: m.name, Known: true}
	}
	exists, err := tableExists(ctx, db, d, "schema_migrations")
	if err != nil {
		return SchemaStatus{}, fmt.Errorf("sqlstore: read schema_migrations: %w", err)
	}
	if exists {
		rows, err := db.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations`)
		if err != nil {
			return SchemaStatus{}, fmt.Errorf("sqlstore: read schema_migrations: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				v    int64
				name string
				at   int64
			)
			if err := rows.Scan(&v, &name, &at); err != nil {
				return SchemaStatus{}, fmt.Errorf("sqlstore: read schema_migrations: %w", err)
			}
			m := byVersion[v]
			if m == nil {
				m = &Migration{Version: v, Name: name}
				byVersion[v] = m
			}
			m.Applied, m.AppliedAt = true, time.UnixMilli(at).UTC()
		}
		if err := rows.Err(); err != nil {
			return SchemaStatus{}, fmt.Errorf("sqlstore: read schema_migrations: %w", err)
		}
	}
	var st SchemaStatus
	for _, m := range byVersion {
		st.Migrations = append(st.Migrations, *m)
	}
	slices.SortFunc(st.Migrations, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
	return st, nil
}

func tableExists(ctx context.Context, db *sql.DB, d dialect, table string) (bool, error) {
	q := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if d.name() == "postgres" {
		q = `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`
	}
	var n int
	err := db.QueryRowContext(ctx, d.rebind(q), table).Scan(&n)
	return n > 0, err
}

// openSQLiteReadOnly opens an existing SQLite file for reading, without
// creating it or running migrations.
func openSQLiteReadOnly(ctx context.Context, path string) (*sql.DB, error) {
	return openSQLiteExisting(ctx, path, true)
}

// openSQLiteExisting opens an existing SQLite file without running
// migrations; queryOnly refuses writes (but also VACUUM INTO, which writes
// another file only).
func openSQLiteExisting(ctx context.Context, path string, queryOnly bool) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(busyTimeout.Milliseconds()))
	if queryOnly {
		q.Set("_query_only", "on")
	}
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: abs}).String()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", abs, err)
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", abs, err)
	}
	return db, nil
}

// SQLiteSchemaStatus reports the schema of the SQLite database at path
// without changing it.
func SQLiteSchemaStatus(ctx context.Context, path string) (SchemaStatus, error) {
	db, err := openSQLiteReadOnly(ctx, path)
	if err != nil {
		return SchemaStatus{}, err
	}
	defer db.Close()
	return schemaStatus(ctx, db, sqliteDialect{})
}

// PostgresSchemaStatus reports the schema of the PostgreSQL database at
// dsn without changing it.
func PostgresSchemaStatus(ctx context.Context, dsn string) (SchemaStatus, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return SchemaStatus{}, errors.New("sqlstore: invalid postgres url")
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	return schemaStatus(ctx, db, postgresDialect{})
}

// BackupSQLite writes a consistent copy of the SQLite database at path to
// out (which must not exist) while Sesame may be serving from it: VACUUM
// INTO reads one snapshot (WAL lets the server write meanwhile) into a
// fresh, compact file. The copy is written beside out and renamed into
// place once complete, with mode 0600.
func BackupSQLite(ctx context.Context, path, out string) (SchemaStatus, error) {
	if _, err := os.Stat(out); err == nil {
		return SchemaStatus{}, fmt.Errorf("backup: %s exists; choose a new file", out)
	}
	db, err := openSQLiteExisting(ctx, path, false)
	if err != nil {
		return SchemaStatus{}, err
	}
	defer db.Close()
	tmp := out + ".partial"
	os.Remove(tmp)
	// VACUUM INTO creates the file with the umask's mode: create it first,
	// empty, which SQLite accepts, to keep it private.
	if err := createPrivate(tmp); err != nil {
		return SchemaStatus{}, err
	}
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		os.Remove(tmp)
		return SchemaStatus{}, fmt.Errorf("backup: %w", err)
	}
	st, err := checkSQLiteFile(ctx, tmp)
	if err != nil {
		os.Remove(tmp)
		return SchemaStatus{}, err
	}
	if err := syncFile(tmp); err != nil {
		os.Remove(tmp)
		return SchemaStatus{}, err
	}
	if err := os.Rename(tmp, out); err != nil {
		os.Remove(tmp)
		return SchemaStatus{}, fmt.Errorf("backup: %w", err)
	}
	return st, nil
}

// checkSQLiteFile checks a database file's integrity and returns its schema.
func checkSQLiteFile(ctx context.Context, file string) (SchemaStatus, error) {
	db, err := openSQLiteReadOnly(ctx, file)
	if err != nil {
		return SchemaStatus{}, err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return SchemaStatus{}, fmt.Errorf("%s is not a Sesame SQLite database: %w", file, err)
	}
	if res != "ok" {
		return SchemaStatus{}, fmt.Errorf("%s fails SQLite's integrity check: %s", file, res)
	}
	st, err := schemaStatus(ctx, db, sqliteDialect{})
	if err != nil {
		return SchemaStatus{}, err
	}
	if len(st.Migrations) == len(st.Pending()) {
		return SchemaStatus{}, fmt.Errorf("%s holds no Sesame schema", file)
	}
	return st, nil
}

// RestoreSQLite replaces the SQLite database at path with the backup from.
// It refuses a backup whose schema is newer than this binary's (a
// migration this binary does not know), and an existing database unless
// replace is set; Sesame must not be running on path. The backup is copied
// beside path and renamed over it, and the old database's WAL files are
// removed, so that a crash midway leaves either the old database or the
// new one. An older backup is migrated when Sesame next opens it.
func RestoreSQLite(ctx context.Context, from, path string, replace bool) (SchemaStatus, error) {
	st, err := checkSQLiteFile(ctx, from)
	if err != nil {
		return SchemaStatus{}, err
	}
	if unknown := st.Unknown(); len(unknown) > 0 {
		var names []string
		for _, m := range unknown {
			names = append(names, m.Name)
		}
		return SchemaStatus{}, fmt.Errorf("restore: the backup's schema is newer than this Sesame (it has %s); restore it with the Sesame that made it, or a newer one", strings.Join(names, ", "))
	}
	if _, err := os.Stat(path); err == nil && !replace {
		return SchemaStatus{}, fmt.Errorf("restore: %s exists; stop Sesame and pass --force to replace it", path)
	}
	// Every Sesame process using the database holds a shared lock on it
	// (OpenSQLite): take it exclusively, and keep it until the new file is
	// in place.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return SchemaStatus{}, fmt.Errorf("restore: %w", err)
	}
	held, err := lockDatabase(path, true)
	if errors.Is(err, errFileLocked) {
		return SchemaStatus{}, fmt.Errorf("restore: Sesame is running on %s (or another sesame command has it open); stop it first", path)
	} else if err != nil {
		return SchemaStatus{}, fmt.Errorf("restore: %w", err)
	}
	defer held.Close()
	tmp := path + ".restoring"
	if err := copyPrivate(from, tmp); err != nil {
		os.Remove(tmp)
		return SchemaStatus{}, fmt.Errorf("restore: %w", err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			os.Remove(tmp)
			return SchemaStatus{}, fmt.Errorf("restore: %w", err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return SchemaStatus{}, fmt.Errorf("restore: %w", err)
	}
	return st, nil
}

// errFileLocked: another process holds a conflicting lock (flockFile).
var errFileLocked = errors.New("locked by another process")

// lockDatabase opens the SQLite database's lock file (path + ".lock") and
// locks it, shared or exclusive. A separate file, not the database: closing
// any descriptor of the database file would drop the POSIX locks SQLite
// holds on it in this process.
func lockDatabase(path string, exclusive bool) (*os.File, error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: lock file of %s: %w", path, err)
	}
	if err := flockFile(f, exclusive); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func createPrivate(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return f.Close()
}

func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// copyPrivate copies a file to a new file of mode 0600 and syncs it.
func copyPrivate(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
