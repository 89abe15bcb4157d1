"""Coordinator accounts: roles and account changes (coordinators), sign-in with slowdown and
lockout (sign_in, over the pure rules of lockout), who may do what (access), and the web pages
(views, forms) and command line (commands)."""
