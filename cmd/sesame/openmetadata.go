package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sesame-idp/sesame/internal/openmetadata"
)

func newOpenMetadataCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "openmetadata",
		Short: "Set up and check single sign-on for OpenMetadata",
	}
	cmd.AddCommand(newOMSetupCommand(), newOMCheckCommand())
	return cmd
}

func newOMSetupCommand() *cobra.Command {
	var o openmetadata.Options
	var tokenFile string
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Do OpenMetadata's Okta SSO guide against a Sesame org and print OpenMetadata's configuration",
		Long: `Creates, through the management API, everything OpenMetadata's "Okta SSO" guide has an
administrator click together: the single-page app, its group assignment, a trusted origin, an
authorization server with a default scope and an access policy, the ingestion bot with a fresh key
pair, and a fresh key pair for OpenMetadata's own JWTs. A second run changes nothing; a run after a
failure completes the rest. Writes keys and configuration files (Docker env, openmetadata.yaml
fragment, Helm values, ingestion workflow configs) to --out-dir and prints them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tokenFile != "" {
				if o.APIToken != "" {
					return errors.New("give --api-token or --api-token-file, not both")
				}
				b, err := os.ReadFile(tokenFile)
				if err != nil {
					return err
				}
				o.APIToken = strings.TrimSpace(string(b))
			}
			if o.OrgURL == "" || o.OMURL == "" || o.APIToken == "" {
				return errors.New("--org-url, --om-url and --api-token (or --api-token-file) are required")
			}
			res, err := openmetadata.Setup(cmd.Context(), o)
			out := cmd.OutOrStdout()
			if res != nil {
				for _, c := range res.Changes {
					fmt.Fprintln(out, "+", c)
				}
			}
			if err != nil {
				return fmt.Errorf("setup stopped (run it again to complete it): %w", err)
			}
			if len(res.Changes) == 0 {
				fmt.Fprintln(out, "Everything was already set up; nothing changed.")
			}
			files := res.Render()
			written, err := files.Write(res.OutDir)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\nIssuer:          %s\nClient id (UI):  %s\nIngestion bot:   %s (key %s)\n", res.Issuer, res.ClientID, res.BotClientID, res.BotKeyFile)
			for _, p := range written {
				fmt.Fprintf(out, "\n==> %s\n%s", p, files[pathBase(p)])
			}
			fmt.Fprintln(out, `
Two security rules from the guide:
  1. Replace OpenMetadata's default JWT keys: point RSA_PUBLIC_KEY_FILE_PATH / RSA_PRIVATE_KEY_FILE_PATH
     (jwtTokenConfiguration) at the DER files above and set JWT_KEY_ID as shown.
  2. Delete OpenMetadata's default basic-auth admin (admin@open-metadata.org) once you can sign in
     through Sesame: it stays in OpenMetadata's database after switching to SSO.
Then check it from outside: sesame openmetadata check --org-url `+res.OrgURL+` --om-url `+res.OMURL+` --config-dir `+res.OutDir)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.OrgURL, "org-url", "", "Sesame's org URL (required)")
	f.StringVar(&o.APIToken, "api-token", "", "an SSWS API token of a super administrator")
	f.StringVar(&tokenFile, "api-token-file", "", "file holding the API token")
	f.StringVar(&o.OMURL, "om-url", "", "OpenMetadata's URL as browsers reach it, e.g. http://localhost:8585 (required)")
	f.StringVar(&o.Name, "name", "OpenMetadata", "name of the app, authorization server and bot")
	f.StringSliceVar(&o.AdminEmails, "admin-email", nil, "OpenMetadata administrator's email (repeatable; default the API token's user)")
	f.StringVar(&o.AssignGroup, "assign-group", "Everyone", "group whose members may sign in to OpenMetadata")
	f.StringVar(&o.OutDir, "out-dir", "openmetadata-sso", "directory for the keys and configuration files")
	return cmd
}

func pathBase(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func newOMCheckCommand() *cobra.Command {
	var o openmetadata.CheckOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check from outside what OpenMetadata's UI, server and ingestion will do against Sesame",
		Long: `Prints a checklist and exits non-zero when an item fails: discovery with PKCE S256, the
/v1 paths okta-auth-js derives from the issuer, CORS for OpenMetadata's origin, both redirect URIs,
OpenMetadata's introspection check of the client id, and — with the bot's key — a token got the way
the legacy ingestion client gets it, verified against the key set OpenMetadata is configured with.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.OrgURL == "" || o.OMURL == "" {
				return errors.New("--org-url and --om-url are required")
			}
			items, err := openmetadata.Check(cmd.Context(), o)
			if err != nil {
				return err
			}
			failed := 0
			for _, it := range items {
				fmt.Fprintln(cmd.OutOrStdout(), it)
				if !it.OK {
					failed++
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d checks failed", failed, len(items))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "all %d checks passed\n", len(items))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.OrgURL, "org-url", "", "Sesame's org URL (required)")
	f.StringVar(&o.OMURL, "om-url", "", "OpenMetadata's URL (required)")
	f.StringVar(&o.Issuer, "issuer", "", "the authority OpenMetadata is configured with (default: from --config-dir)")
	f.StringVar(&o.ClientID, "client-id", "", "the single-page app's client id (default: from --config-dir)")
	f.StringVar(&o.BotClientID, "bot-client-id", "", "the ingestion bot's client id (default: from --config-dir)")
	f.StringVar(&o.BotKey, "bot-key", "", "the ingestion bot's private key file (default: from --config-dir)")
	f.StringVar(&o.ConfigDir, "config-dir", "openmetadata-sso", "the directory setup wrote")
	return cmd
}
