"""Prints, as JSON, what the installed AWS CLI v2 knows of the input shapes of the operations
named on the command line: {"Shape.Member": first sentence of the member's documentation}.
Run with the AWS CLI's own interpreter (the shebang of /usr/bin/aws); spec/yaml_spec.lua feeds
this to cognito_mfa.core.yaml_skeleton so that its text can be compared byte for byte with
`aws ... --generate-cli-skeleton yaml-input` although the CLI's model is an older one."""
import json
import sys
import xml.dom.minidom  # noqa: F401  (the CLI's doc helper needs these loaded)
import xml.parsers.expat  # noqa: F401

from awscli.botocore.session import Session
from awscli.customizations.utils import get_shape_doc_overview


def walk(shape, seen, out):
    if shape.type_name == "structure":
        if shape.name in seen:
            return
        seen.add(shape.name)
        for name, member in shape.members.items():
            out[shape.name + "." + name] = get_shape_doc_overview(member)
            walk(member, seen, out)
    elif shape.type_name == "list":
        walk(shape.member, seen, out)
    elif shape.type_name == "map":
        walk(shape.value, seen, out)


def main(operations):
    model = Session().get_service_model("cognito-idp")
    out = {}
    for op in operations:
        walk(model.operation_model(op).input_shape, set(), out)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
