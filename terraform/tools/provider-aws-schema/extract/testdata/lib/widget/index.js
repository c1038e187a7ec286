"use strict";
// A trimmed copy of what cdktf generates (lib/<type>/index.js), with each
// pattern the extractor reads: simple, set and map getters, a computed list of
// objects, a required max-1 block, a set block and a timeouts struct.
function widgetRuleToHclTerraform(struct) {
    const attrs = {
        port: {
            value: cdktf.numberToHclTerraform(struct.port),
            isBlock: false,
            type: "simple",
            storageClassType: "number",
        },
    };
    return attrs;
}
class WidgetRuleOutputReference extends cdktf.ComplexObject {
    get port() {
        return this.getNumberAttribute('port');
    }
    set port(value) {
        this._port = value;
    }
    // Temporarily expose input value. Use with caution.
    get portInput() {
        return this._port;
    }
}
class WidgetRuleList extends cdktf.ComplexList {
    /**
    * @param index the index of the item to return
    */
    get(index) {
        return new WidgetRuleOutputReference(this.terraformResource, this.terraformAttribute, index, this.wrapsSet);
    }
}
function widgetNetworkToHclTerraform(struct) {
    const attrs = {
        subnet_ids: {
            value: cdktf.listMapperHcl(cdktf.stringToHclTerraform, false)(struct.subnetIds),
            isBlock: false,
            type: "set",
            storageClassType: "stringList",
        },
    };
    return attrs;
}
class WidgetNetworkOutputReference extends cdktf.ComplexObject {
    get subnetIds() {
        return cdktf.Fn.tolist(this.getListAttribute('subnet_ids'));
    }
    set subnetIds(value) {
        this._subnetIds = value;
    }
    // vpc_id - computed: true, optional: false, required: false
    get vpcId() {
        return this.getStringAttribute('vpc_id');
    }
}
class WidgetStatusOutputReference extends cdktf.ComplexObject {
    get ready() {
        return this.getBooleanAttribute('ready');
    }
}
class WidgetStatusList extends cdktf.ComplexList {
    get(index) {
        return new WidgetStatusOutputReference(this.terraformResource, this.terraformAttribute, index, this.wrapsSet);
    }
}
function widgetTimeoutsToHclTerraform(struct) {
    const attrs = {
        create: {
            value: cdktf.stringToHclTerraform(struct.create),
            isBlock: false,
            type: "simple",
            storageClassType: "string",
        },
    };
    return attrs;
}
class WidgetNodeOutputReference extends cdktf.ComplexObject {
    get kind() {
        return this.getStringAttribute('kind');
    }
}
class WidgetTimeoutsOutputReference extends cdktf.ComplexObject {
    get create() {
        return this.getStringAttribute('create');
    }
    set create(value) {
        this._create = value;
    }
    resetCreate() {
        this._create = undefined;
    }
}
class Widget extends cdktf.TerraformResource {
    constructor(scope, id, config) {
        super(scope, id, {
            terraformResourceType: 'aws_widget',
        });
        // status - computed: true, optional: false, required: false
        this._status = new WidgetStatusList(this, "status", false);
        // network - computed: false, optional: false, required: true
        this._network = new WidgetNetworkOutputReference(this, "network");
        // rule - computed: false, optional: true, required: false
        this._rule = new WidgetRuleList(this, "rule", true);
        // node - computed: true, optional: false, required: false
        this._node = new WidgetNodeOutputReference(this, "node");
        // timeouts - computed: false, optional: true, required: false
        this._timeouts = new WidgetTimeoutsOutputReference(this, "timeouts");
    }
    // arn - computed: true, optional: false, required: false
    get arn() {
        return this.getStringAttribute('arn');
    }
    get name() {
        return this.getStringAttribute('name');
    }
    set name(value) {
        this._name = value;
    }
    get tags() {
        return this.getStringMapAttribute('tags');
    }
    set tags(value) {
        this._tags = value;
    }
    resetTags() {
        this._tags = undefined;
    }
    // "node" clashes with a construct member: the getter is renamed, the field is not.
    get nodeAttribute() {
        return this._node;
    }
    get status() {
        return this._status;
    }
    get network() {
        return this._network;
    }
    putNetwork(value) {
        this._network.internalValue = value;
    }
    get rule() {
        return this._rule;
    }
    putRule(value) {
        this._rule.internalValue = value;
    }
    resetRule() {
        this._rule.internalValue = undefined;
    }
    get timeouts() {
        return this._timeouts;
    }
    putTimeouts(value) {
        this._timeouts.internalValue = value;
    }
    resetTimeouts() {
        this._timeouts.internalValue = undefined;
    }
    synthesizeHclAttributes() {
        const attrs = {
            name: {
                value: cdktf.stringToHclTerraform(this._name),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
            tags: {
                value: cdktf.hashMapperHcl(cdktf.stringToHclTerraform)(this._tags),
                isBlock: false,
                type: "map",
                storageClassType: "stringMap",
            },
            network: {
                value: widgetNetworkToHclTerraform(this._network.internalValue),
                isBlock: true,
                type: "list",
                storageClassType: "WidgetNetworkList",
            },
            rule: {
                value: cdktf.listMapperHcl(widgetRuleToHclTerraform, true)(this._rule.internalValue),
                isBlock: true,
                type: "set",
                storageClassType: "WidgetRuleList",
            },
            timeouts: {
                value: widgetTimeoutsToHclTerraform(this._timeouts.internalValue),
                isBlock: true,
                type: "struct",
                storageClassType: "WidgetTimeouts",
            },
        };
        return attrs;
    }
}
