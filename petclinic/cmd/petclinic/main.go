// Command petclinic serves the Spring PetClinic in Go: the web UI, the REST
// API under /petclinic/api and Spring Boot Actuator endpoints.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gamedayhq/gameday/petclinic/internal/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	err := app.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil)
	if err == nil {
		return
	}
	fmt.Fprintf(os.Stderr, "petclinic: %s\n", err)
	var cerr *app.ConfigError
	if errors.As(err, &cerr) {
		os.Exit(2)
	}
	os.Exit(1)
}
