package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/resync/resync/internal/config"
)

// runCheck validates the configuration and prints the effective values.
func runCheck(args []string) int {
	return check(args, os.Environ(), os.Stdout, os.Stderr)
}

// check is runCheck with its inputs and outputs passed in, for tests.
func check(args, environ []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("resync check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	envFile := fs.String("env-file", "", "read `FILE` instead of $RESYNC_ENV_FILE or "+config.DefaultEnvFile+` ("" = no file)`)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: resync check [--env-file FILE]\n\n"+
			"Validate the configuration (environment, then env file) and print the effective values.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "resync check: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "env-file" })
	if explicit {
		environ = append(environ[:len(environ):len(environ)], "RESYNC_ENV_FILE="+*envFile)
		// Load forgives a missing default file; a file named here must exist.
		if *envFile != "" {
			if _, err := os.Stat(*envFile); err != nil {
				fmt.Fprintf(stderr, "resync check: %v\n", err)
				return exitFail
			}
		}
	}
	cfg, err := config.Load(environ)
	if err != nil {
		for _, e := range splitErrors(err) {
			fmt.Fprintln(stderr, e)
		}
		return exitFail
	}
	if err := cfg.SharedStateError(); err != nil { // valid values, but resync serve would refuse them
		fmt.Fprintln(stderr, "resync check:", err)
		return exitFail
	}
	cfg.Write(stdout)
	return exitOK
}

// splitErrors undoes errors.Join so each problem gets its own line.
func splitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
