using System.Text;

namespace Aimi.AI.Local;

/// <summary>
/// Just enough of protobuf's wire format to edit an ONNX model (<see cref="WeightQuantizer"/>): a message is read as its fields'
/// positions, so untouched fields are copied byte for byte and only the ones replaced are written anew. No schema: the field
/// numbers are ONNX's (onnx.proto), named where they are used.
/// </summary>
internal static class ProtobufWire
{
    public const int VarintType = 0;
    public const int LengthDelimitedType = 2;

    /// <summary>One field of a message: its number and wire type, where it starts (its tag), where its value starts and where it ends.</summary>
    public readonly record struct Field(int Number, int WireType, int Start, int ValueStart, int End)
    {
        public int ValueLength => End - ValueStart;
    }

    /// <summary>The fields of the message <paramref name="message"/>, in order.</summary>
    public static List<Field> Fields(ReadOnlySpan<byte> message)
    {
        var fields = new List<Field>();
        var position = 0;
        while (position < message.Length)
        {
            var start = position;
            var key = ReadVarint(message, ref position);
            var (number, wireType) = ((int)(key >> 3), (int)(key & 7));
            var valueStart = position;
            switch (wireType)
            {
                case VarintType:
                    ReadVarint(message, ref position);
                    break;
                case 1: // 64-bit
                    position += 8;
                    break;
                case LengthDelimitedType:
                    var length = checked((int)ReadVarint(message, ref position));
                    valueStart = position;
                    position += length;
                    break;
                case 5: // 32-bit
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"Wire type {wireType} of field {number} is not one ONNX uses.");
            }
            if (position > message.Length)
            {
                throw new InvalidDataException($"Field {number} runs past the end of its message.");
            }
            fields.Add(new Field(number, wireType, start, valueStart, position));
        }
        return fields;
    }

    public static ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = bytes[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw new InvalidDataException("A varint longer than ten bytes.");
    }

    /// <summary>The value of a varint field.</summary>
    public static long Varint(ReadOnlySpan<byte> message, Field field)
    {
        var position = field.ValueStart;
        return (long)ReadVarint(message, ref position);
    }

    /// <summary>The value of a length-delimited field.</summary>
    public static ReadOnlySpan<byte> Value(ReadOnlySpan<byte> message, Field field) => message.Slice(field.ValueStart, field.ValueLength);

    public static string String(ReadOnlySpan<byte> message, Field field) => Encoding.UTF8.GetString(Value(message, field));

    /// <summary>The field as it was read: tag, length and value.</summary>
    public static ReadOnlySpan<byte> Whole(ReadOnlySpan<byte> message, Field field) => message[field.Start..field.End];

    public static void WriteVarint(Stream output, ulong value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        output.WriteByte((byte)value);
    }

    public static void WriteVarintField(Stream output, int number, long value)
    {
        WriteVarint(output, (ulong)number << 3 | VarintType);
        WriteVarint(output, (ulong)value);
    }

    public static void WriteBytesField(Stream output, int number, ReadOnlySpan<byte> value)
    {
        WriteVarint(output, (ulong)number << 3 | LengthDelimitedType);
        WriteVarint(output, (ulong)value.Length);
        output.Write(value);
    }

    public static void WriteStringField(Stream output, int number, string value) => WriteBytesField(output, number, Encoding.UTF8.GetBytes(value));
}
