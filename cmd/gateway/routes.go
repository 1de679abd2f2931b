package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/iam"
)

// routeFile is the JSON of OPENGATE_GATEWAY_ROUTES:
//
//	{
//	  "upstreams": {"auth": "http://auth-service:8081", "orders": "http://orders:9000"},
//	  "routes": [
//	    {"path": "/realms/{realm}/orders/*", "upstream": "orders", "access": "protected"},
//	    {"path": "/realms/{realm}/login-actions/*", "upstream": "auth", "access": "public", "rate": "login"}
//	  ]
//	}
//
// Its upstreams override the OPENGATE_*_URL settings and may name new
// services; its routes are added to the default table, replacing a default
// route of the same path.
type routeFile struct {
	Upstreams map[string]string `json:"upstreams"`
	Routes    []fileRoute       `json:"routes"`
}

// fileRoute is one route of a routeFile.
type fileRoute struct {
	Path         string `json:"path"`
	Upstream     string `json:"upstream"`
	Access       string `json:"access"` // protected (default), optional or public
	Rate         string `json:"rate"`   // default (default), login or none
	MaxBodyBytes int64  `json:"maxBodyBytes"`
}

// maxRouteFile bounds the routes file.
const maxRouteFile = 1 << 20

// readRouteFile reads and decodes the routes file at path.
func readRouteFile(path string) (routeFile, error) {
	var rf routeFile
	f, err := os.Open(path)
	if err != nil {
		return rf, fmt.Errorf("OPENGATE_GATEWAY_ROUTES: %w", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxRouteFile+1))
	if err != nil {
		return rf, fmt.Errorf("OPENGATE_GATEWAY_ROUTES: %w", err)
	}
	if len(raw) > maxRouteFile {
		return rf, fmt.Errorf("OPENGATE_GATEWAY_ROUTES: %s is larger than 1 MiB", path)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rf); err != nil {
		return rf, fmt.Errorf("OPENGATE_GATEWAY_ROUTES: %s: %w", path, err)
	}
	return rf, nil
}

// routes returns the gateway's route table: the default table over the
// upstreams of c (and of its routes file), with the file's routes added.
func (c config) routes() ([]gateway.Route, error) {
	urls := maps.Clone(c.upstreams)
	var rf routeFile
	if c.routesFile != "" {
		var err error
		if rf, err = readRouteFile(c.routesFile); err != nil {
			return nil, err
		}
		maps.Copy(urls, rf.Upstreams)
	}
	ups := map[string]*gateway.Upstream{}
	for _, name := range slices.Sorted(maps.Keys(urls)) {
		if urls[name] == "" {
			continue
		}
		up, err := gateway.ProxyTo(name, urls[name])
		if err != nil {
			return nil, fmt.Errorf("the %s service's URL: %s", name, iam.ErrorMessage(err))
		}
		ups[name] = up
	}
	routes, err := gateway.DefaultRoutes(gateway.Upstreams{
		Auth: ups["auth"], Realms: ups["realms"], Users: ups["users"], RBAC: ups["rbac"], Clients: ups["clients"],
		Session: ups["session"], MFA: ups["mfa"], Notify: ups["notify"],
	})
	if err != nil {
		return nil, err
	}
	for _, fr := range rf.Routes {
		rt, err := fr.route(ups)
		if err != nil {
			return nil, fmt.Errorf("OPENGATE_GATEWAY_ROUTES: route %q: %w", fr.Path, err)
		}
		if i := slices.IndexFunc(routes, func(r gateway.Route) bool { return r.Path == rt.Path }); i >= 0 {
			routes[i] = rt
		} else {
			routes = append(routes, rt)
		}
	}
	return routes, nil
}

// route converts fr, whose upstream must be one of ups.
func (fr fileRoute) route(ups map[string]*gateway.Upstream) (gateway.Route, error) {
	rt := gateway.Route{Path: fr.Path, Upstream: ups[fr.Upstream], MaxBodyBytes: fr.MaxBodyBytes}
	if rt.Upstream == nil {
		return rt, fmt.Errorf("no upstream %q (name one of upstreams or a service with its URL set)", fr.Upstream)
	}
	switch fr.Access {
	case "", "protected":
		rt.Access = gateway.Protected
	case "optional":
		rt.Access = gateway.Optional
	case "public":
		rt.Access = gateway.Public
	default:
		return rt, fmt.Errorf("access %q is not protected, optional or public", fr.Access)
	}
	switch fr.Rate {
	case "", "default":
		rt.Rate = gateway.RateDefault
	case "login":
		rt.Rate = gateway.RateLogin
	case "none":
		rt.Rate = gateway.RateNone
	default:
		return rt, fmt.Errorf("rate %q is not default, login or none", fr.Rate)
	}
	return rt, nil
}
