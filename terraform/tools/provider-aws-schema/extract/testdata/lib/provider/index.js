"use strict";
class AwsProvider extends cdktf.TerraformProvider {
    constructor(scope, id, config = {}) {
        super(scope, id, {
            terraformResourceType: 'aws',
        });
    }
    synthesizeHclAttributes() {
        const attrs = {
            region: {
                value: cdktf.stringToHclTerraform(this._region),
                isBlock: false,
                type: "simple",
                storageClassType: "string",
            },
        };
        return attrs;
    }
}
