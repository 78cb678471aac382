package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/sesame-idp/sesame/internal/config"
)

// The e-mail settings of serve (docs/operations.md, "E-mail").
var mailFlagHelp = []struct{ name, env, help string }{
	{"smtp-url", "SESAME_SMTP_URL", "mail server for invitations and password resets: smtp://user:password@host:587 (STARTTLS) or smtps://user:password@host:465; smtp://localhost:25?starttls=off for a relay on this machine (default: none, links are shown to the admin)"},
	{"smtp-from", "SESAME_SMTP_FROM", `address the e-mails come from, e.g. "Acme IdP <idp@example.com>"`},
	{"mail-templates", "SESAME_MAIL_TEMPLATES", "directory of e-mail templates replacing the built-in ones of the same name"},
}

func registerMailFlags(cmd *cobra.Command) map[string]*string {
	vals := map[string]*string{}
	for _, f := range mailFlagHelp {
		vals[f.name] = cmd.Flags().String(f.name, "", f.help+" (env "+f.env+")")
	}
	return vals
}

// mailFlags reads the e-mail settings from flags or their environment
// variables and checks them.
func mailFlags(cmd *cobra.Command, cfg *config.Config, vals map[string]*string) error {
	for _, f := range mailFlagHelp {
		v := *vals[f.name]
		if !cmd.Flags().Changed(f.name) {
			v = os.Getenv(f.env)
		}
		switch f.name {
		case "smtp-url":
			cfg.SMTPURL = v
		case "smtp-from":
			cfg.SMTPFrom = v
		case "mail-templates":
			cfg.MailTemplates = v
		}
	}
	return cfg.Validate()
}
