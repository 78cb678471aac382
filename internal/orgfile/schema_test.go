package orgfile

import (
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/org.schema.json from the schema table")

// TestPublishedSchema: docs/org.schema.json is what the schema table
// generates (go test ./internal/orgfile -run TestPublishedSchema -update
// rewrites it), and every example org file in the repository checks.
func TestPublishedSchema(t *testing.T) {
	const path = "../../docs/org.schema.json"
	got, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s is out of date: run go test ./internal/orgfile -run TestPublishedSchema -update", path)
	}
	var doc map[string]any
	if err := json.Unmarshal(got, &doc); err != nil || doc["$schema"] == nil {
		t.Fatalf("not a JSON Schema document: %v", err)
	}
}
