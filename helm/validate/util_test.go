package validate

import (
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var (
	nestedBool   = unstructured.NestedBool
	nestedSlice  = unstructured.NestedSlice
	nestedString = unstructured.NestedString
)

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }

var sprintf = fmt.Sprintf
