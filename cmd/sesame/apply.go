package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sesame-idp/sesame/internal/app"
	"github.com/sesame-idp/sesame/internal/mgmt"
	"github.com/sesame-idp/sesame/internal/mgmtclient"
	"github.com/sesame-idp/sesame/internal/orgfile"
)

// orgTargetFlags choose the org apply and export work on: the local
// database (--data or --database-url, like every command) or, with
// --org-url, a remote Sesame through its management API.
type orgTargetFlags struct {
	sf        storageFlags
	orgURL    string
	tokenFile string
}

func (o *orgTargetFlags) register(fs *pflag.FlagSet) {
	o.sf.register(fs, false)
	fs.StringVar(&o.orgURL, "org-url", "", "a remote Sesame (or Okta) org to work on through its management API, instead of the local database")
	fs.StringVar(&o.tokenFile, "api-token-file", "", "file holding the SSWS API token for --org-url (or env SESAME_API_TOKEN)")
}

// open returns the target and a function that releases it.
func (o *orgTargetFlags) open(cmd *cobra.Command) (orgfile.Target, func(), error) {
	if o.orgURL != "" {
		tok := os.Getenv("SESAME_API_TOKEN")
		if o.tokenFile != "" {
			b, err := os.ReadFile(o.tokenFile)
			if err != nil {
				return orgfile.Target{}, nil, err
			}
			tok = strings.TrimSpace(string(b))
		}
		if tok == "" {
			return orgfile.Target{}, nil, errors.New("--org-url needs an API token: --api-token-file or SESAME_API_TOKEN")
		}
		return orgfile.Target{API: mgmtclient.New(o.orgURL, tok)}, func() {}, nil
	}
	cfg, err := o.sf.resolve(cmd)
	if err != nil {
		return orgfile.Target{}, nil, err
	}
	noOrg := fmt.Errorf("the database in %s has no org yet: run sesame init (or sesame serve) first", where(cfg.DataDir, cfg.DatabaseURL))
	if !cfg.Postgres() {
		// Opening would create an empty database where a path was mistyped.
		if _, err := os.Stat(cfg.SQLitePath()); err != nil {
			return orgfile.Target{}, nil, noOrg
		}
	}
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.Open(cmd.Context(), cfg, log, false)
	if err != nil {
		return orgfile.Target{}, nil, err
	}
	if _, err := a.Store.Orgs().Get(cmd.Context()); err != nil {
		a.Close()
		return orgfile.Target{}, nil, noOrg
	}
	return localTarget(a), func() { a.Close() }, nil
}

func localTarget(a *app.App) orgfile.Target {
	return orgfile.LocalTarget(a.Service, mgmt.New(a.Service, a.OAuth, a.Log))
}

func where(dataDir, dbURL string) string {
	if dbURL != "" {
		return "the PostgreSQL database"
	}
	return dataDir
}

func newApplyCommand() *cobra.Command {
	var (
		tf         orgTargetFlags
		file       string
		opts       orgfile.Options
		secretsOut string
	)
	cmd := &cobra.Command{
		Use:   "apply -f org.yaml",
		Short: "Make the org match an org file (people, groups, apps, origins, authorization servers, API tokens)",
		Long: `Reads an org file (docs/org-file.md) and makes the org match it, through the same
management API (local: in-process) an administrator uses: same validation, same System
Log events. Applying the same file twice changes nothing; a changed file changes only
what differs; objects the file does not name are left alone unless --prune.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return errors.New("-f FILE is required (- reads standard input)")
			}
			f, err := readOrgFile(cmd.InOrStdin(), file)
			if err != nil {
				return err
			}
			if secretsOut != "" && !opts.DryRun {
				if _, err := os.Stat(secretsOut); err == nil {
					return fmt.Errorf("--secrets-out %s exists already; refusing to overwrite it", secretsOut)
				}
			}
			t, release, err := tf.open(cmd)
			if err != nil {
				return err
			}
			defer release()
			ctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Minute)
			defer cancel()
			plan, err := orgfile.Apply(ctx, f, t, opts)
			out := cmd.OutOrStdout()
			if plan != nil {
				plan.Write(out, !opts.DryRun)
			}
			if err != nil {
				return err
			}
			if len(plan.Secrets) > 0 {
				if secretsOut == "" {
					fmt.Fprintf(out, "%d generated secret(s) not shown: pass --secrets-out FILE to keep them, or fix them in the file.\n", len(plan.Secrets))
					return nil
				}
				b, _ := json.MarshalIndent(plan.Secrets, "", "  ")
				if err := writeSecretFile(secretsOut, string(b)+"\n"); err != nil {
					return err
				}
				fmt.Fprintf(out, "Generated secrets written to %s (mode 0600).\n", secretsOut)
			}
			return nil
		},
	}
	tf.register(cmd.Flags())
	cmd.Flags().StringVarP(&file, "file", "f", "", "the org file (YAML or JSON; - for standard input)")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "print the plan (what would be created, changed, deleted) and change nothing")
	cmd.Flags().BoolVar(&opts.Prune, "prune", false, "also delete what the file's lists do not name")
	cmd.Flags().BoolVar(&opts.AllowFixedSecrets, "allow-fixed-secrets", false, "accept client secrets and API token values fixed in the file (for tests)")
	cmd.Flags().StringVar(&secretsOut, "secrets-out", "", "write the secrets Sesame generates (client secrets, API tokens) to this new file, mode 0600")
	return cmd
}

func readOrgFile(stdin io.Reader, name string) (*orgfile.File, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(io.LimitReader(stdin, 32<<20))
		name = "(stdin)"
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, err
	}
	return orgfile.Parse(name, data)
}

func newExportCommand() *cobra.Command {
	var (
		tf          orgTargetFlags
		outFile     string
		withSecrets bool
	)
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the org as an org file (to standard output, or -o FILE)",
		Long: `Writes the current org as an org file that sesame apply accepts. Secrets are left out;
--with-secrets adds people's password hashes (local database only). Client secrets
and API token values cannot be exported: Sesame keeps only their hashes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, release, err := tf.open(cmd)
			if err != nil {
				return err
			}
			defer release()
			if withSecrets && t.Local == nil {
				return errors.New("--with-secrets works on a local database only: the management API never reveals password hashes")
			}
			src := t.API.Base
			data, err := orgfile.Export(cmd.Context(), t, orgfile.ExportOptions{WithSecrets: withSecrets,
				Header: fmt.Sprintf("Sesame org exported from %s by sesame %s", src, versionString())})
			if err != nil {
				return err
			}
			if outFile == "" {
				_, err = cmd.OutOrStdout().Write(data)
				return err
			}
			mode := os.FileMode(0o644)
			if withSecrets {
				mode = 0o600
			}
			return os.WriteFile(outFile, data, mode)
		},
	}
	tf.register(cmd.Flags())
	cmd.Flags().StringVarP(&outFile, "output", "o", "", "write to this file instead of standard output")
	cmd.Flags().BoolVar(&withSecrets, "with-secrets", false, "include people's password hashes (local database only)")
	return cmd
}
