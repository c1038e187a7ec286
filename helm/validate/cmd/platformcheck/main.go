package main

import (
	"fmt"
	"os"

	"sigs.k8s.io/yaml"

	"github.com/gamedayhq/gameday/helm/validate"
)

func main() {
	r := validate.Release{Chart: os.Args[1], Name: "petclinic", Namespace: "petclinic", Values: os.Args[2:]}
	objs, err := validate.Render(r)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	for _, o := range objs {
		b, _ := yaml.Marshal(o.Object)
		fmt.Printf("--- # %s\n%s", o.Source, b)
	}
}
