"""The billing feature's Piccolo app: its tables and migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from panel.core.billing.tables import (
    CreditBalance,
    CreditEntry,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    Payment,
    PaymentMethod,
)

APP_CONFIG = AppConfig(
    app_name="core_billing",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[InvoiceSequence, Invoice, InvoiceLine, CreditBalance, CreditEntry, PaymentMethod, Payment],
    migration_dependencies=["panel.core.piccolo_app"],
    commands=[],
)
