// Package clients is OpenGate's clients service: domain types, the Store interface
// every backend implements, and the Service with its rules.
package clients
