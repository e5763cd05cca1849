"""Message templates, from submission to send.

The model, Meta's Graph JSON, the linter, send-time parameters, the lifecycle, the quota and
Twilio Content.

```python
from wa_outbound import rules_at
from wa_outbound.templates import lint_template, template_from_graph

template = template_from_graph(graph_json)
for finding in lint_template(template, rules=rules_at(now)):
    print(finding.code, finding.path, finding.message)
```

The names a host needs on the send path (`Template`, `TemplateCategory`, `TemplateState`)
are also at the top level of `wa_outbound`.
"""

from wa_outbound._categories import (
    CATEGORY_MAPPING,
    CategoryEra,
    CategoryMapping,
    TemplateCategory,
)
from wa_outbound._persistence_templates import (
    dump_catalogue,
    dump_template_state,
    load_catalogue,
    load_template_state,
)
from wa_outbound._template_json import (
    template_from_graph,
    template_to_graph,
    templates_from_graph,
)
from wa_outbound._template_lifecycle import (
    TEMPLATE_TRANSITIONS,
    QualityScore,
    TemplateCategoryChanged,
    TemplateDecision,
    TemplateEvent,
    TemplateFact,
    TemplateInput,
    TemplateNote,
    TemplateQualityChanged,
    TemplateReason,
    TemplateState,
    TemplateStatus,
    TemplateStatusChanged,
    TemplateSubmitted,
    template_sendable,
)
from wa_outbound._template_lint import (
    LINT_RULES,
    LintCode,
    LintFinding,
    LintReport,
    LintRule,
    Severity,
    lint_template,
)
from wa_outbound._template_params import (
    ButtonParameter,
    ButtonSubType,
    HeaderMedia,
    MediaKind,
    ParameterCheck,
    ParameterProblem,
    ParameterProblemCode,
    TemplateParameters,
    check_parameters,
)
from wa_outbound._template_quota import (
    QuotaDecision,
    QuotaReason,
    TemplateCatalogue,
)
from wa_outbound._templates import (
    Body,
    BodyExample,
    Button,
    Buttons,
    ButtonType,
    Component,
    Footer,
    Header,
    HeaderExample,
    HeaderFormat,
    NamedExample,
    OtherComponent,
    OtpType,
    ParameterFormat,
    Placeholder,
    Template,
    placeholders,
)
from wa_outbound._twilio_content import (
    template_from_twilio_content,
    twilio_content_variables,
)

__all__ = [
    "CATEGORY_MAPPING",
    "LINT_RULES",
    "TEMPLATE_TRANSITIONS",
    "Body",
    "BodyExample",
    "Button",
    "ButtonParameter",
    "ButtonSubType",
    "ButtonType",
    "Buttons",
    "CategoryEra",
    "CategoryMapping",
    "Component",
    "Footer",
    "Header",
    "HeaderExample",
    "HeaderFormat",
    "HeaderMedia",
    "LintCode",
    "LintFinding",
    "LintReport",
    "LintRule",
    "MediaKind",
    "NamedExample",
    "OtherComponent",
    "OtpType",
    "ParameterCheck",
    "ParameterFormat",
    "ParameterProblem",
    "ParameterProblemCode",
    "Placeholder",
    "QualityScore",
    "QuotaDecision",
    "QuotaReason",
    "Severity",
    "Template",
    "TemplateCatalogue",
    "TemplateCategory",
    "TemplateCategoryChanged",
    "TemplateDecision",
    "TemplateEvent",
    "TemplateFact",
    "TemplateInput",
    "TemplateNote",
    "TemplateParameters",
    "TemplateQualityChanged",
    "TemplateReason",
    "TemplateState",
    "TemplateStatus",
    "TemplateStatusChanged",
    "TemplateSubmitted",
    "check_parameters",
    "dump_catalogue",
    "dump_template_state",
    "lint_template",
    "load_catalogue",
    "load_template_state",
    "placeholders",
    "template_from_graph",
    "template_from_twilio_content",
    "template_sendable",
    "template_to_graph",
    "templates_from_graph",
    "twilio_content_variables",
]
