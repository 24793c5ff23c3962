package main

import (
	"fmt"
	"io"

	"github.com/switchboard-clinic/switchboard/config"
)

// configCmd runs "switchboard config check [FILE]": the problems, or the menu
// tree when there are none. FILE defaults to SWITCHBOARD_CONFIG, then the
// built-in configuration.
func configCmd(args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "check" || len(args) > 2 {
		return &exitError{code: 2, err: fmt.Errorf("usage: switchboard config check [FILE]")}
	}
	path := getenv("SWITCHBOARD_CONFIG")
	if len(args) == 2 {
		path = args[1]
	}
	line, err := config.LoadFile(path)
	if err != nil {
		if ce, ok := config.AsError(err); ok {
			fmt.Fprintln(stdout, ce.Error())
			return &exitError{code: 1, err: fmt.Errorf("configuration has %d problem(s)", len(ce.Problems))}
		}
		return err
	}
	source := path
	if source == "" {
		source = "built-in default"
	}
	fmt.Fprintf(stdout, "%s: OK\n\n", source)
	line.WriteTree(stdout)
	return nil
}
