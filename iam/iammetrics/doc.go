// Package iammetrics holds the Prometheus metrics of an OpenGate HTTP
// listener: the Go and process collectors and request counts and latencies
// labelled by chi route pattern. It lives apart from iamhttp so that the
// light HTTP boundary (errors, JSON, request ids) that resource servers pull
// in through authverify carries neither Prometheus nor chi.
//
//	m := iammetrics.New("realms")
//	r := chi.NewRouter()
//	r.Use(m.Middleware)
//	r.Method(http.MethodGet, "/metrics", m.Handler())
package iammetrics
