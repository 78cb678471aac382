// Command sesame is a self-hosted identity provider that speaks Okta's
// protocol and management API.
package main

import (
	"fmt"
	"os"
)

func main() {
	root := newRootCommand()
	root.SetArgs(containerDevArgs(os.Args[1:], os.Getenv, fileExists))
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "sesame:", err)
		os.Exit(1)
	}
}
