package clientshttp

// AuthenticateRequest is the body of POST
// /internal/realms/{realm}/clients/authenticate.
type AuthenticateRequest struct {
	ClientID string `json:"clientId"`
	Secret   string `json:"secret"`
}
