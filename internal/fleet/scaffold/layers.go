package scaffold

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/fleetup/fleetup/internal/fleet"
	"gopkg.in/yaml.v3"
)

// Layers reads the layers of dir's fleet.yaml quickly and leniently, for
// making command-line flags before the fleet is loaded: the defaults
// when the file is missing or sets none, an error when it does not read.
// The loader checks the file properly.
func Layers(fsys fs.FS, dir string) ([]string, error) {
	data, err := fs.ReadFile(fsys, path.Join(dir, fleet.SettingsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return fleet.DefaultLayers(), nil
	}
	if err != nil {
		return nil, err
	}
	var s struct {
		Layers []string `yaml:"layers"`
	}
	if err := yaml.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path.Join(dir, fleet.SettingsFile), err)
	}
	if s.Layers == nil {
		return fleet.DefaultLayers(), nil
	}
	return s.Layers, nil
}
