// Package config loads, defaults and validates Switchboard's configuration:
// the YAML file that describes the phone line and the environment variables
// that describe the service. It is the only package that reads either.
package config
