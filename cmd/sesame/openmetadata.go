package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/sesame-idp/sesame/internal/openmetadata"
)

func newOpenMetadataCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "openmetadata",
		Short: "Set up and check single sign-on for OpenMetadata",
	}
	cmd.AddCommand(newOMSetupCommand(), newOMApplyCommand(), newOMCheckCommand())
	return cmd
}

func newOMSetupCommand() *cobra.Command {
	var o openmetadata.Options
	var tokenFile, keyOwner string
	var enforce bool
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
			o.NoEnforcePrincipalDomain = !enforce
			if keyOwner != "" {
				owner, err := openmetadata.ParseOwner(keyOwner)
				if err != nil {
					return fmt.Errorf("--key-owner %w", err)
				}
				o.KeyOwner = &owner
			}
			res, err := openmetadata.Setup(cmd.Context(), o)
			out := cmd.OutOrStdout()
			if res != nil {
				for _, n := range res.Notes {
					fmt.Fprintln(out, "! "+n)
				}
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
			fmt.Fprintf(out, "\nIssuer:          %s\nClient id (UI):  %s\nIngestion bot:   %s (key %s in %s)\nBot key set:     %s\n",
				res.Issuer, res.ClientID, res.BotClientID, res.BotKeyID, res.BotKeyFile, strings.Join(res.BotKeyIDs, ", "))
			if len(res.RemovedBotKeyIDs) > 0 {
				fmt.Fprintf(out, "Removed keys:    %s (--rotate-bot-key: ingestion configured with them no longer authenticates)\n", strings.Join(res.RemovedBotKeyIDs, ", "))
			}
			if res.EnforcePrincipalDomain {
				fmt.Fprintf(out, "Principal domain: %s, enforced (enforcePrincipalDomain: true): every administrator is in it, and OpenMetadata\n"+
					"  refuses people whose email is in another domain, so admin@another-domain cannot become its admin.\n"+
					"  Pass --enforce-principal-domain=false to let other domains sign in.\n", res.SecurityConfig().Authorizer.PrincipalDomain)
			} else {
				fmt.Fprintf(out, "Principal domain: %s, not enforced: anyone whose email's local part is an admin principal becomes\n"+
					"  OpenMetadata's admin, whatever the domain; Sesame decides who can have which email.\n", res.SecurityConfig().Authorizer.PrincipalDomain)
			}
			owner := openmetadata.ImageUser
			if o.KeyOwner != nil {
				owner = *o.KeyOwner
			}
			fmt.Fprintf(out, "Key files:       %s and %s, for OpenMetadata's own tokens; Docker mounts the directory read-only:\n"+
				"                   - %s:/opt/openmetadata/sesame:ro\n", openmetadata.JWTPrivateFile, openmetadata.JWTPublicFile, res.OutDir)
			if err := res.KeyAccess(owner); err != nil {
				fmt.Fprintf(out, "  OpenMetadata's server image runs as uid %d, which cannot read them: %v.\n  Run setup again with --key-owner %s as root, or: %s\n",
					owner.UID, err, owner, res.ChownLine(owner))
			} else {
				fmt.Fprintf(out, "  readable by OpenMetadata's server (uid %d), and by no other user but their owner\n", owner.UID)
			}
			for _, p := range written {
				fmt.Fprintf(out, "\n==> %s\n%s", p, files[pathBase(p)])
			}
			fmt.Fprintln(out, `
Which path applies:
  - OpenMetadata has started before (1.10 and later keep the authentication settings in their database and
    ignore the environment afterwards): sesame openmetadata apply --om-url `+res.OMURL+` --config-dir `+res.OutDir+`
  - OpenMetadata starts for the first time: give it the files above (Docker, bare metal or Helm) before it starts.
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
	f.BoolVar(&o.RotateBotKey, "rotate-bot-key", false, "replace every key registered for the ingestion bot with a new one (default: add this directory's key, keep the others)")
	f.BoolVar(&o.RotateJWTKey, "rotate-jwt-key", false, "make a new key pair for OpenMetadata's own tokens even if it already uses one of its own (its bot tokens stop working)")
	f.StringVar(&keyOwner, "key-owner", "", "UID:GID to own OpenMetadata's key pair, so its non-root server reads it from a bind mount ("+openmetadata.ImageUser.String()+" for its image; needs root)")
	f.BoolVar(&enforce, "enforce-principal-domain", true, "set enforcePrincipalDomain when every --admin-email is in one domain")
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
	var keyOwner string
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
			if keyOwner != "" {
				owner, err := openmetadata.ParseOwner(keyOwner)
				if err != nil {
					return fmt.Errorf("--key-owner %w", err)
				}
				o.KeyOwner = &owner
			}
			items, err := openmetadata.Check(cmd.Context(), o)
			if err != nil {
				return err
			}
			failed, warned := 0, 0
			for _, it := range items {
				fmt.Fprintln(cmd.OutOrStdout(), it)
				switch it.Level {
				case openmetadata.Fail:
					failed++
				case openmetadata.Warn:
					warned++
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d checks failed", failed, len(items))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "all %d checks passed", len(items))
			if warned > 0 {
				fmt.Fprintf(cmd.OutOrStdout(), ", %d with a warning", warned)
			}
			fmt.Fprintln(cmd.OutOrStdout())
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
	f.StringVar(&keyOwner, "key-owner", "", "UID:GID OpenMetadata's server runs as, who must read the key pair (default "+openmetadata.ImageUser.String()+", its image's user)")
	return cmd
}

// omPasswordEnv names the environment variable apply reads the OpenMetadata
// administrator's password from, for scripts that cannot use stdin.
const omPasswordEnv = "OPENMETADATA_ADMIN_PASSWORD"

func newOMApplyCommand() *cobra.Command {
	var o openmetadata.ApplyOptions
	var passwordStdin bool
	var jwtFile string
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Make a running OpenMetadata use Sesame through its security settings API",
		Long: `Sends what setup wrote to --config-dir to a running OpenMetadata (1.10 and later), as its
Settings → SSO screen does: signs in as an OpenMetadata administrator, has OpenMetadata validate
the configuration (POST /api/v1/system/security/validate), saves it (PUT
/api/v1/system/security/config) and reads back what OpenMetadata now serves
(GET /api/v1/system/config/auth). OpenMetadata keeps this configuration in its database after
its first start and ignores the environment from then on: apply is how an instance that
already ran (on basic authentication, say) switches to Sesame, with no restart.

The administrator's password is read from stdin (--om-password-stdin), from $` + omPasswordEnv + `,
or from a prompt; it is sent only to --om-url's sign-in and never written anywhere. Once
OpenMetadata uses SSO its password sign-in is off: pass an administrator's JWT with
--om-jwt-file instead. OpenMetadata's refusals are printed as it sends them, with what to do.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.OMURL == "" {
				return errors.New("--om-url is required")
			}
			var err error
			switch {
			case jwtFile != "" && passwordStdin:
				return errors.New("give --om-jwt-file or --om-password-stdin, not both")
			case jwtFile != "":
				b, err := os.ReadFile(jwtFile)
				if err != nil {
					return err
				}
				o.JWT = strings.TrimSpace(string(b))
			case passwordStdin:
				if o.Password, err = readLine(cmd.InOrStdin()); err != nil {
					return fmt.Errorf("read the password from stdin: %w", err)
				}
			case os.Getenv(omPasswordEnv) != "":
				o.Password = os.Getenv(omPasswordEnv)
			default:
				if o.Password, err = promptPassword(cmd, "OpenMetadata password of "+o.AdminEmail+": "); err != nil {
					return err
				}
			}
			o.Out = cmd.OutOrStdout()
			res, err := openmetadata.Apply(cmd.Context(), o)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if o.ValidateOnly {
				fmt.Fprintln(out, "Nothing was saved (--validate-only).")
				return nil
			}
			fmt.Fprintf(out, "\nOpenMetadata now uses (GET %s/api/v1/system/config/auth):\n", strings.TrimRight(o.OMURL, "/"))
			for _, k := range []string{"provider", "providerName", "clientType", "authority", "clientId", "callbackUrl"} {
				fmt.Fprintf(out, "  %-16s %v\n", k, res.Now[k])
			}
			if res.PrincipalDomain != "" {
				fmt.Fprintf(out, "  %-16s %s\n", "principalDomain", res.PrincipalDomain)
			}
			fmt.Fprintln(out, `
Sign in to OpenMetadata through Sesame now; its password sign-in is off from here on. The key pair for
OpenMetadata's own tokens is not part of this API: it comes from the files (docker-compose.sesame.yml,
values-sesame.yaml) when the OpenMetadata server restarts.`)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.OMURL, "om-url", "", "OpenMetadata's URL (required)")
	f.StringVar(&o.ConfigDir, "config-dir", "openmetadata-sso", "the directory setup wrote")
	f.StringVar(&o.AdminEmail, "om-admin-email", "admin@open-metadata.org", "the OpenMetadata administrator to sign in as")
	f.BoolVar(&passwordStdin, "om-password-stdin", false, "read the administrator's password from the first line of stdin")
	f.StringVar(&jwtFile, "om-jwt-file", "", "file holding an OpenMetadata administrator's JWT, instead of a password")
	f.BoolVar(&o.ValidateOnly, "validate-only", false, "have OpenMetadata validate the configuration, save nothing")
	return cmd
}

func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("it is empty")
	}
	return line, nil
}

// promptPassword reads a password from the terminal without echoing it.
func promptPassword(cmd *cobra.Command, prompt string) (string, error) {
	in, ok := cmd.InOrStdin().(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return "", errors.New("no password: pass --om-password-stdin, set " + omPasswordEnv + ", or use --om-jwt-file")
	}
	fmt.Fprint(cmd.ErrOrStderr(), prompt)
	b, err := term.ReadPassword(int(in.Fd()))
	fmt.Fprintln(cmd.ErrOrStderr())
	if err != nil {
		return "", err
	}
	if len(b) == 0 {
		return "", errors.New("no password given")
	}
	return string(b), nil
}
