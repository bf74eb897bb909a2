// A small builder for Kubernetes structural OpenAPI v3 schemas that also yields the TypeScript
// type of the objects it describes: the CRD manifests and the operator's types come from one
// definition, so they cannot drift apart.

export interface JsonSchemaProps {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JsonSchemaProps>;
  required?: string[];
  items?: JsonSchemaProps;
  additionalProperties?: JsonSchemaProps;
  enum?: (string | number)[];
  anyOf?: JsonSchemaProps[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  pattern?: string;
  format?: string;
  'x-kubernetes-int-or-string'?: true;
  'x-kubernetes-preserve-unknown-fields'?: true;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: { rule: string; message: string; reason?: string; fieldPath?: string }[];
}

/** A schema node that remembers the TypeScript type `T` it validates. */
export interface Schema<T, Optional extends boolean = boolean> {
  readonly props: JsonSchemaProps;
  readonly optional: Optional;
  /** Marks the field as not required in its parent object. */
  opt(): Schema<T, true>;
  describe(text: string): Schema<T, Optional>;
  /** Adds a CEL rule (x-kubernetes-validations), for rules that span fields. */
  rule(rule: string, message: string, fieldPath?: string): Schema<T, Optional>;
  with(extra: Partial<JsonSchemaProps>): Schema<T, Optional>;
}

function node<T>(props: JsonSchemaProps, optional = false): Schema<T, any> {
  return {
    props,
    optional,
    opt: () => node<T>(props, true),
    describe: (text) => node<T>({ ...props, description: text }, optional),
    rule: (rule, message, fieldPath) =>
      node<T>(
        {
          ...props,
          'x-kubernetes-validations': [...(props['x-kubernetes-validations'] ?? []), { rule, message, ...(fieldPath ? { fieldPath } : {}) }],
        },
        optional,
      ),
    with: (extra) => node<T>({ ...props, ...extra }, optional),
  };
}

export type Infer<S> = S extends Schema<infer T, any> ? T : never;

type Shape = Record<string, Schema<any, boolean>>;
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K] extends Schema<any, true> ? never : K }[keyof S];
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends Schema<any, true> ? K : never }[keyof S];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type InferShape<S extends Shape> = Simplify<{ [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }>;

export const s = {
  string(props: Partial<JsonSchemaProps> = {}): Schema<string, false> {
    return node<string>({ type: 'string', ...props });
  },
  enum<const V extends readonly string[]>(values: V, props: Partial<JsonSchemaProps> = {}): Schema<V[number], false> {
    return node<V[number]>({ type: 'string', enum: [...values], ...props });
  },
  integer(props: Partial<JsonSchemaProps> = {}): Schema<number, false> {
    return node<number>({ type: 'integer', ...props });
  },
  number(props: Partial<JsonSchemaProps> = {}): Schema<number, false> {
    return node<number>({ type: 'number', ...props });
  },
  boolean(props: Partial<JsonSchemaProps> = {}): Schema<boolean, false> {
    return node<boolean>({ type: 'boolean', ...props });
  },
  /** A Kubernetes quantity-like value: 1048576 or "1Mi". */
  intOrString(props: Partial<JsonSchemaProps> = {}): Schema<number | string, false> {
    // anyOf spells out the two types, as the API server wants once CEL rules look at the value.
    return node<number | string>({ anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true, ...props });
  },
  array<T>(items: Schema<T, any>, props: Partial<JsonSchemaProps> = {}): Schema<T[], false> {
    return node<T[]>({ type: 'array', items: items.props, ...props });
  },
  /** A map with string keys. */
  map<T>(values: Schema<T, any>, props: Partial<JsonSchemaProps> = {}): Schema<Record<string, T>, false> {
    return node<Record<string, T>>({ type: 'object', additionalProperties: values.props, ...props });
  },
  object<S extends Shape>(shape: S, props: Partial<JsonSchemaProps> = {}): Schema<InferShape<S>, false> {
    const properties: Record<string, JsonSchemaProps> = {};
    const required: string[] = [];
    for (const [key, field] of Object.entries(shape)) {
      properties[key] = field.props;
      if (!field.optional) required.push(key);
    }
    return node<InferShape<S>>({ type: 'object', properties, ...(required.length ? { required } : {}), ...props });
  },
  /** Kept as given (for embedded Kubernetes types such as tolerations or affinity). */
  opaque<T = Record<string, unknown>>(type: 'object' | 'array' = 'object', props: Partial<JsonSchemaProps> = {}): Schema<T, false> {
    return node<T>({ type, 'x-kubernetes-preserve-unknown-fields': true, ...props });
  },
};
