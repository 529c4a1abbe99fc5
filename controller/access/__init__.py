"""Who may use the box's pages: accounts (argon2id), roles, sessions, login rate limits.

May import: controller.store. Shared by the pages (web/) and ``qanat user``.
"""
