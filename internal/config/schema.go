package config

import (
	"encoding/json"
	"reflect"

	"github.com/fleetup/fleetup/internal/decode"
)

// SchemaID is where editors find the schema: the file in this repository.
const SchemaID = "https://github.com/fleetup/fleetup/docs/config.schema.json"

// JSONSchema returns the JSON Schema of config.yaml, generated from the Go
// types so it cannot drift from what Load accepts (a test keeps the checked-in
// copy, docs/config.schema.json, equal to it).
func JSONSchema() ([]byte, error) {
	s := decode.Schema(reflect.TypeOf(Config{}))
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = SchemaID
	s["title"] = "fleetup config.yaml"
	s["description"] = "Configuration of fleetup: the CNOE AWS reference implementation's config.yaml keys plus fleetup's optional sections."
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
