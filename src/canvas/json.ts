/** JSON values, as the document's free-form members (config, inputs_schema, pinned) hold them. */

export type JSONValue = null | boolean | number | string | JSONValue[] | JSONObject;
export interface JSONObject {
  [key: string]: JSONValue;
}
