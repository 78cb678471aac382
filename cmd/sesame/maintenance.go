package main

import (
	"errors"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sesame-idp/sesame/internal/config"
	"github.com/sesame-idp/sesame/internal/store/sqlstore"
)

// pgDumpAdvice is what backup and restore say on PostgreSQL, where the
// database's own tools do the job.
const pgDumpAdvice = `with PostgreSQL, use the database's own tools (see docs/operations.md):
  pg_dump --format=custom --file=sesame.dump "$SESAME_DATABASE_URL"
  pg_restore --clean --if-exists --no-owner --dbname="$SESAME_DATABASE_URL" sesame.dump`

func newBackupCommand() *cobra.Command {
	var sf storageFlags
	var out string
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Write a consistent copy of the SQLite database, also while Sesame serves from it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := sf.resolve(cmd)
			if err != nil {
				return err
			}
			if cfg.Postgres() {
				return errors.New(pgDumpAdvice)
			}
			if out == "" {
				return errors.New("--out FILE is required")
			}
			st, err := sqlstore.BackupSQLite(cmd.Context(), cfg.SQLitePath(), out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Backed up %s to %s (schema %s).\n", cfg.SQLitePath(), out, schemaVersion(st))
			fmt.Fprintf(cmd.OutOrStdout(), "Keep the master key (%s) with it, somewhere else as safe: without it the signing keys in the backup cannot be opened.\n", masterKeyName(cfg))
			return nil
		},
	}
	sf.register(cmd.Flags(), false)
	cmd.Flags().StringVar(&out, "out", "", "file to write the backup to; it must not exist")
	return cmd
}

func newRestoreCommand() *cobra.Command {
	var sf storageFlags
	var from string
	var force bool
	cmd := &cobra.Command{
		Use:   "restore --from FILE",
		Short: "Replace the SQLite database with a backup (Sesame must be stopped)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := sf.resolve(cmd)
			if err != nil {
				return err
			}
			if cfg.Postgres() {
				return errors.New(pgDumpAdvice)
			}
			if from == "" {
				return errors.New("--from FILE is required")
			}
			st, err := sqlstore.RestoreSQLite(cmd.Context(), from, cfg.SQLitePath(), force)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Restored %s from %s (schema %s", cfg.SQLitePath(), from, schemaVersion(st))
			if n := len(st.Pending()); n > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "; %d migration(s) will be applied when Sesame starts", n)
			}
			fmt.Fprintf(cmd.OutOrStdout(), ").\nStart Sesame with the master key the backup was made with (%s).\n", masterKeyName(cfg))
			return nil
		},
	}
	sf.register(cmd.Flags(), false)
	cmd.Flags().StringVar(&from, "from", "", "backup file written by sesame backup")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing database")
	return cmd
}

func newMigrateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Show or apply the database schema migrations",
	}
	var statusFlags, upFlags storageFlags
	status := &cobra.Command{
		Use:   "status",
		Short: "List the migrations this Sesame knows and those the database has, changing nothing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := statusFlags.resolve(cmd)
			if err != nil {
				return err
			}
			var st sqlstore.SchemaStatus
			if cfg.Postgres() {
				st, err = sqlstore.PostgresSchemaStatus(cmd.Context(), cfg.DatabaseURL)
			} else {
				st, err = sqlstore.SQLiteSchemaStatus(cmd.Context(), cfg.SQLitePath())
			}
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "VERSION\tMIGRATION\tSTATE")
			for _, m := range st.Migrations {
				state := "pending"
				switch {
				case m.Applied && !m.Known:
					state = "applied " + m.AppliedAt.Format("2006-01-02T15:04:05Z") + ", unknown to this Sesame"
				case m.Applied:
					state = "applied " + m.AppliedAt.Format("2006-01-02T15:04:05Z")
				}
				fmt.Fprintf(w, "%d\t%s\t%s\n", m.Version, m.Name, state)
			}
			w.Flush()
			out := cmd.OutOrStdout()
			switch {
			case len(st.Unknown()) > 0:
				fmt.Fprintln(out, "\nThe database was migrated by a newer Sesame: run that version (or a newer one).")
			case len(st.Pending()) > 0:
				fmt.Fprintf(out, "\n%d migration(s) pending: `sesame migrate up` or the next start applies them.\n", len(st.Pending()))
			default:
				fmt.Fprintln(out, "\nThe schema is up to date.")
			}
			return nil
		},
	}
	statusFlags.register(status.Flags(), false)
	up := &cobra.Command{
		Use:   "up",
		Short: "Apply the pending migrations (serve does this at start too, under the same lock)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := upFlags.resolve(cmd)
			if err != nil {
				return err
			}
			if cfg.Postgres() {
				s, err := sqlstore.OpenPostgres(cmd.Context(), cfg.DatabaseURL)
				if err != nil {
					return err
				}
				s.Close()
			} else {
				if _, err := os.Stat(cfg.SQLitePath()); err != nil {
					return fmt.Errorf("no database: %w", err)
				}
				s, err := sqlstore.OpenSQLite(cmd.Context(), cfg.SQLitePath())
				if err != nil {
					return err
				}
				s.Close()
			}
			fmt.Fprintln(cmd.OutOrStdout(), "The schema is up to date.")
			return nil
		},
	}
	upFlags.register(up.Flags(), false)
	cmd.AddCommand(status, up)
	return cmd
}

// schemaVersion names the newest migration a schema has.
func schemaVersion(st sqlstore.SchemaStatus) string {
	var last sqlstore.Migration
	for _, m := range st.Migrations {
		if m.Applied {
			last = m
		}
	}
	return fmt.Sprintf("version %d, %s", last.Version, last.Name)
}

func masterKeyName(cfg config.Config) string {
	switch {
	case cfg.MasterKeyFile != "":
		return cfg.MasterKeyFile
	case cfg.MasterKey != "":
		return "SESAME_MASTER_KEY"
	}
	return cfg.DefaultMasterKeyFile()
}
