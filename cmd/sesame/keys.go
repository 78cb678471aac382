package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/sesame-idp/sesame/internal/keys"
)

func newKeysCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Work with JSON Web Keys"}
	var (
		opts   keys.GenerateOptions
		outDir string
		pem    bool
	)
	gen := &cobra.Command{
		Use:   "generate",
		Short: "Generate a key pair as a JWK, a key-pair set and a public key set (the mkjwk step)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			g, err := keys.GenerateSet(opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "Public and private key pair (keep it secret):\n%s\n\n", g.PrivateJWK)
			fmt.Fprintf(out, "Public and private key pair set:\n%s\n\n", g.PrivateJWKS)
			fmt.Fprintf(out, "Public key set (register this one, e.g. as \"jwks\" of a service app):\n%s\n", g.PublicJWKS)
			if outDir != "" {
				files, err := g.WriteFiles(outDir, pem)
				if err != nil {
					return err
				}
				fmt.Fprintln(out)
				for _, f := range files {
					fmt.Fprintln(out, "wrote", f)
				}
			}
			return nil
		},
	}
	gen.Flags().StringVar(&opts.KID, "kid", "", "key id (required)")
	gen.Flags().IntVar(&opts.Size, "size", 2048, "RSA key size in bits")
	gen.Flags().StringVar(&opts.Alg, "alg", "RS256", "RS256, RS384, RS512, ES256, ES384 or ES512")
	gen.Flags().StringVar(&opts.Use, "use", "sig", "key use")
	gen.Flags().StringVar(&outDir, "out-dir", "", "also write the documents to this directory (private ones with mode 0600)")
	gen.Flags().BoolVar(&pem, "pem", false, "with --out-dir, also write PEM files")
	gen.MarkFlagRequired("kid")
	cmd.AddCommand(gen)
	return cmd
}
