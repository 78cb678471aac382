package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sesame-idp/sesame/internal/app"
	"github.com/sesame-idp/sesame/internal/service"
)

func newInitCommand() *cobra.Command {
	var (
		sf            storageFlags
		email         string
		passwordStdin bool
		tokenFile     string
		orgName       string
	)
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Initialize the org and its first super administrator (for scripts and CI)",
		Long: `Creates the org, the org authorization server, the "default" custom authorization
server (audience api://default, with a default access policy), fresh signing keys,
the Everyone group and the first super administrator. Fails, changing nothing, on an
initialized database.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := sf.resolve(cmd)
			if err != nil {
				return err
			}
			if email == "" {
				return errors.New("--admin-email is required")
			}
			var password string
			if passwordStdin {
				if password, err = readPassword(cmd.InOrStdin()); err != nil {
					return err
				}
			}
			if tokenFile != "" {
				// Fail before changing anything if the token cannot be written.
				if _, err := os.Stat(tokenFile); err == nil {
					return fmt.Errorf("--api-token-file %s exists already; refusing to overwrite it", tokenFile)
				}
			}
			ctx := cmd.Context()
			log := newLogger(cmd.ErrOrStderr())
			a, err := app.Open(ctx, cfg, log, true)
			if err != nil {
				return err
			}
			defer a.Close()
			res, err := a.Service.Initialize(ctx, orgName, service.Admin{Email: email, Password: password}, tokenFile != "")
			if errors.Is(err, service.ErrAlreadyInitialized) {
				return fmt.Errorf("%w; nothing was changed", err)
			}
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Initialized org %s (%s) at %s\n", res.Org.Name, res.Org.ID, cfg.URL)
			fmt.Fprintf(out, "Super administrator: %s (%s)\n", res.Admin.Login, res.Admin.ID)
			if res.Password != "" {
				fmt.Fprintf(out, "Generated password (shown only once): %s\n", res.Password)
			}
			if tokenFile != "" {
				if err := writeSecretFile(tokenFile, res.APIToken+"\n"); err != nil {
					return fmt.Errorf("write API token: %w (the org was initialized; create a new token once the console exists)", err)
				}
				fmt.Fprintf(out, "API token written to %s (mode 0600)\n", tokenFile)
			}
			return nil
		},
	}
	sf.register(cmd.Flags(), false)
	cmd.Flags().StringVar(&email, "admin-email", "", "email (and username) of the first super administrator")
	cmd.Flags().BoolVar(&passwordStdin, "admin-password-stdin", false, "read the administrator's password from standard input (else one is generated and printed)")
	cmd.Flags().StringVar(&tokenFile, "api-token-file", "", "also create an SSWS API token and write it to this file (mode 0600)")
	cmd.Flags().StringVar(&orgName, "org-name", "Sesame", "name of the org")
	return cmd
}

func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New("--admin-password-stdin: no password on standard input")
	}
	return pw, nil
}

// writeSecretFile creates path with mode 0600, refusing to follow or replace
// an existing file.
func writeSecretFile(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
