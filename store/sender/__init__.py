"""The sender: which From address a tenant's mail goes out under."""
