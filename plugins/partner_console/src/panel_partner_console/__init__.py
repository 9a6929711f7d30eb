"""Partner console: partner accounts manage their customers' accounts (children) under the child's rules."""
