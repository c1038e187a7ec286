// Command petclinic serves the Spring PetClinic in Go: the web UI, the REST
// API under /petclinic/api and Spring Boot Actuator endpoints.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/gamedayhq/gameday/petclinic/internal/app"
)

// defaultGOGC replaces Go's 100 when GOGC is not set. The live heap is a
// few MB, so at 100 the collector ran about 40 times a second under load and
// took a tenth of the CPU; at 200 it runs half as often for about 4 MB more
// RSS (petclinic/README.md, Performance).
const defaultGOGC = 200

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGOGC)
	}
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
