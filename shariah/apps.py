from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShariahConfig(AppConfig):
    name = "shariah"
    verbose_name = _("Shariah compliance")

    def ready(self) -> None:
        # Institutions cannot import this app (STYLE rule 3): the Shariah rules and the sink that
        # turns warnings into findings plug into its extension point, so that
        # ``institutions.services.contract_create`` runs them on every contract, whatever the
        # entry path.
        from institutions import contract_rules

        from .rules import contract_violations, contract_violations_many
        from .services import findings_record_from_warnings

        contract_rules.register_rule(contract_violations)
        contract_rules.register_batch_form(contract_violations, contract_violations_many)
        contract_rules.register_warning_sink(findings_record_from_warnings)

        # A quarter's statement must set aside every late-payment amount collected (D11).
        from institutions import statement_rules

        from .rules import statement_violations

        statement_rules.register_rule(statement_violations)

        # Likewise the indicator engine never imports this app: the compliance indicators join
        # every quarter's computation through its contributor extension point.
        from indicators import contributors

        from .contribution import compliance_contribution

        contributors.register(compliance_contribution)
