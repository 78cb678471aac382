package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sesame-idp/sesame/internal/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "sesame",
		Short:         "A self-hosted identity provider that speaks Okta's protocol and management API",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&logFormat, "log-format", "", "log format: text or json (env SESAME_LOG_FORMAT; default text)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if !cmd.Flags().Changed("log-format") {
			logFormat = os.Getenv("SESAME_LOG_FORMAT")
		}
		switch logFormat {
		case "", "text", "json":
			return nil
		}
		return fmt.Errorf("--log-format %q: want text or json", logFormat)
	}
	root.AddCommand(newServeCommand(), newInitCommand(), newKeysCommand(), newTokenCommand(), newOpenMetadataCommand(), newApplyCommand(), newExportCommand(), newDevCommand(), newVersionCommand(),
		newBackupCommand(), newRestoreCommand(), newMigrateCommand(), newHealthcheckCommand())
	return root
}

// storageFlags are shared by serve and init.
type storageFlags struct {
	cfg config.Config
}

func (s *storageFlags) register(fs *pflag.FlagSet, withAddr bool) {
	if withAddr {
		fs.StringVar(&s.cfg.Addr, "addr", config.DefaultAddr, "listen address, host:port (env SESAME_ADDR)")
	}
	fs.StringVar(&s.cfg.URL, "url", config.DefaultURL, "public org URL used in every issuer (env SESAME_URL)")
	fs.StringSliceVar(&s.cfg.URLAliases, "url-alias", nil, "other public URL the org is reached under, for DYNAMIC and CUSTOM_URL issuers; repeatable (env SESAME_URL_ALIASES, comma-separated)")
	fs.StringVar(&s.cfg.DataDir, "data", config.DefaultDataDir, "data directory: SQLite database and master key (env SESAME_DATA)")
	fs.StringVar(&s.cfg.DatabaseURL, "database-url", "", "postgres:// URL to use PostgreSQL instead of SQLite (env SESAME_DATABASE_URL)")
	fs.StringVar(&s.cfg.MasterKeyFile, "master-key-file", "", "file holding the master key (env SESAME_MASTER_KEY_FILE; or SESAME_MASTER_KEY with the key itself)")
}

// resolve applies SESAME_* variables to flags the command line did not set
// (flags win over the environment), then validates.
func (s *storageFlags) resolve(cmd *cobra.Command) (config.Config, error) {
	env := map[string]*string{
		"addr": &s.cfg.Addr, "url": &s.cfg.URL, "data": &s.cfg.DataDir,
		"database-url": &s.cfg.DatabaseURL, "master-key-file": &s.cfg.MasterKeyFile,
	}
	names := map[string]string{
		"addr": "SESAME_ADDR", "url": "SESAME_URL", "data": "SESAME_DATA",
		"database-url": "SESAME_DATABASE_URL", "master-key-file": "SESAME_MASTER_KEY_FILE",
	}
	for flag, dst := range env {
		if cmd.Flags().Lookup(flag) == nil || cmd.Flags().Changed(flag) {
			continue
		}
		if v, ok := os.LookupEnv(names[flag]); ok && v != "" {
			*dst = v
		}
	}
	if f := cmd.Flags().Lookup("url-alias"); f != nil && !f.Changed {
		if v := os.Getenv("SESAME_URL_ALIASES"); v != "" {
			s.cfg.URLAliases = strings.Split(v, ",")
		}
	}
	if cmd.Flags().Lookup("addr") == nil {
		s.cfg.Addr = config.DefaultAddr
	}
	s.cfg.MasterKey = os.Getenv("SESAME_MASTER_KEY")
	cfg := s.cfg
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// logFormat is --log-format: "json" for one JSON object a line (what log
// shippers parse), otherwise logfmt-style text.
var logFormat string

// newLogger logs at SESAME_LOG_LEVEL (debug, info, warn or error; info by
// default, which includes one access-log line per request).
func newLogger(w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(os.Getenv("SESAME_LOG_LEVEL"))); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if logFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "sesame", versionString())
		},
	}
}
