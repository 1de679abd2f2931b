// Package realms is OpenGate's realms service: domain types, the Store interface
// every backend implements, and the Service with its rules.
package realms
