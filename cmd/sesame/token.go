package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/tokenclient"
)

func newTokenCommand() *cobra.Command {
	var orgURL, authServer, clientID, keyFile, kid, scope string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Get an access token by client_credentials with private_key_jwt",
		Long: `Signs a client assertion with the private key (JWK or PEM file) and exchanges it
at the token endpoint, the way OpenMetadata's ingestion bot does. Prints the
access token, or the whole response with --json.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for name, v := range map[string]string{"--org-url": orgURL, "--client-id": clientID, "--private-key": keyFile} {
				if v == "" {
					return fmt.Errorf("%s is required", name)
				}
			}
			data, err := os.ReadFile(keyFile)
			if err != nil {
				return err
			}
			key, fileKID, err := keys.ParsePrivateKey(data)
			if err != nil {
				return fmt.Errorf("%s: %w", keyFile, err)
			}
			if kid == "" {
				kid = fileKID
			}
			tokenURL := tokenclient.TokenURL(orgURL, authServer)
			assertion, err := tokenclient.Assertion{ClientID: clientID, Audience: tokenURL, KID: kid, Key: key}.Sign(time.Now())
			if err != nil {
				return err
			}
			resp, err := tokenclient.ClientCredentials(cmd.Context(), nil, tokenURL, assertion, scope)
			var te *tokenclient.Error
			if errors.As(err, &te) && asJSON {
				json.NewEncoder(cmd.OutOrStdout()).Encode(te.Response)
				return err
			}
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(resp)
			}
			fmt.Fprintln(cmd.OutOrStdout(), resp.AccessToken)
			return nil
		},
	}
	cmd.Flags().StringVar(&orgURL, "org-url", "", "the org URL, e.g. http://localhost:8080")
	cmd.Flags().StringVar(&authServer, "auth-server", "default", `authorization server: "default", a server id, or "org"`)
	cmd.Flags().StringVar(&clientID, "client-id", "", "client id of the service app")
	cmd.Flags().StringVar(&keyFile, "private-key", "", "private key file: a JWK, a JWKS with one key, or PEM")
	cmd.Flags().StringVar(&kid, "kid", "", "key id to put in the assertion header (default: the JWK's kid, if any)")
	cmd.Flags().StringVar(&scope, "scope", "", `space-separated scopes, e.g. "okta.clients.read" (default: the server's default scopes)`)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the whole token response as JSON")
	return cmd
}
